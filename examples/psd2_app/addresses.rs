//! Who is asking: the client's address (the peer's, or behind a trusted
//! proxy the one it forwards), the group that limits count it in (an IPv4
//! address, an IPv6 /64), and a per-minute count per group in bounded memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// An address range: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy)]
struct Network {
    base: u128,
    mask: u128,
    v6: bool,
}

impl Network {
    fn parse(text: &str) -> Result<Network, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network"))?;
        let (bits, width, v6) = as_bits(address);
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("`{text}`: the prefix must be 0 to {width}"))?,
        };
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (width - prefix) & width_mask(width)
        };
        Ok(Network {
            base: bits & mask,
            mask,
            v6,
        })
    }

    fn contains(&self, address: IpAddr) -> bool {
        let (bits, _, v6) = as_bits(address);
        v6 == self.v6 && bits & self.mask == self.base
    }
}

/// An address as bits, its width, and whether it is IPv6 (an IPv4-mapped
/// IPv6 address counts as the IPv4 one).
fn as_bits(address: IpAddr) -> (u128, u32, bool) {
    match canonical(address) {
        IpAddr::V4(v4) => (u32::from(v4) as u128, 32, false),
        IpAddr::V6(v6) => (u128::from(v6), 128, true),
    }
}

fn width_mask(width: u32) -> u128 {
    if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The reverse proxies whose `X-Forwarded-For` the app believes
/// (`PSD2_APP_TRUSTED_PROXIES`). Empty: the peer is the client.
#[derive(Debug, Default)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// A comma-separated list of addresses and networks.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Network::parse)
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(address))
    }

    /// The client's address: the peer's; when the peer is a trusted proxy,
    /// the rightmost `X-Forwarded-For` entry that is not a trusted proxy
    /// (entries left of it are whatever the client claimed).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            let Some(address) = parse_forwarded(entry) else {
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

/// The group an address counts in for every per-address limit: an IPv4
/// address alone, an IPv6 address by its /64 (one subscriber usually holds
/// a whole /64, so counting /128s would give them billions of buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressGroup(u128, bool);

impl AddressGroup {
    pub fn of(address: IpAddr) -> AddressGroup {
        let (bits, _, v6) = as_bits(address);
        if v6 {
            AddressGroup(bits & (u128::MAX << 64), true)
        } else {
            AddressGroup(bits, false)
        }
    }
}

/// At most `limit` events per address group and minute, counting at most
/// `groups` groups a minute: past that, a group not yet counted this minute
/// is refused, so memory stays bounded and no call scans the map.
#[derive(Debug)]
pub struct PerMinute {
    limit: u32,
    groups: usize,
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    counts: HashMap<AddressGroup, u32>,
}

impl PerMinute {
    pub fn new(limit: u32, groups: usize) -> PerMinute {
        PerMinute {
            limit,
            groups,
            window: Mutex::new(Window {
                started: Instant::now(),
                counts: HashMap::new(),
            }),
        }
    }

    /// Counts one event for `group`: `true` while within the limit.
    pub fn take(&self, group: AddressGroup) -> bool {
        let mut window = self.current();
        let groups = window.counts.len();
        match window.counts.get_mut(&group) {
            Some(count) => {
                *count = count.saturating_add(1);
                *count <= self.limit
            }
            None if groups >= self.groups => false,
            None => {
                window.counts.insert(group, 1);
                self.limit >= 1
            }
        }
    }

    /// Whether `group` has no event left this minute (counting nothing).
    pub fn used_up(&self, group: AddressGroup) -> bool {
        let window = self.current();
        match window.counts.get(&group) {
            Some(count) => *count >= self.limit,
            None => window.counts.len() >= self.groups || self.limit == 0,
        }
    }

    /// The current minute's window: a new one (and an empty map) once a
    /// minute has passed.
    fn current(&self) -> std::sync::MutexGuard<'_, Window> {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.started.elapsed() >= Duration::from_secs(60) {
            window.started = Instant::now();
            window.counts = HashMap::new();
        }
        window
    }
}
