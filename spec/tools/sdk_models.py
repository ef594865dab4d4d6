#!/usr/bin/env python3
"""Extract the field names and types of bunq's official SDK models.

Primary source: github.com/bunq/sdk_java, whose generated models are

    src/main/java/com/bunq/sdk/model/generated/endpoint/<Name>ApiObject.java
    src/main/java/com/bunq/sdk/model/generated/object/<Name>Object.java

Gson decodes a response key into each member declared as
``@Expose @SerializedName("k") private T k;``; those members are the
"fields".  Members whose key ends in ``_field_for_request`` (and the
``FIELD_...`` constants) are request-side only and skipped.

Cross-check: github.com/bunq/sdk_python, whose generated models are

    bunq/sdk/model/generated/endpoint.py   (kind "endpoint")
    bunq/sdk/model/generated/object_.py    (kind "object")

There bunq/sdk/json/converter.py looks a JSON key ``k`` (``id``/``type``/
``object`` become ``id_``/``type_``/``object_``) up in the class docstring as
``:type _k: T`` or ``:type _k: list[T]``; the readable fields are the class
attributes ``_k = None`` (not ``_k_field_for_request``).

Model names drop the ``ApiObject``/``Object`` suffix (Java) or module (Python).
Types are normalised to int, float, str, bool, list[<T>], <Model>, or "any".
A name defined both as endpoint and as object (e.g. OauthCallbackUrl) is keyed
and referenced as "object_.<Name>" for the object one.  "object_type" is the
wrapper key (OBJECT_TYPE_GET) when it differs from the name.  Each model notes
"python_differs" {field: python type or "absent"}, "python_extra" (fields only
Python reads) or "only_in" when one SDK lacks the model.  Only facts (names and
types) are kept; no SDK code is copied.

Usage, on bare mirrors (or any .git directory) of the two repositories:

    python3 spec/tools/sdk_models.py --java /work/.mirror/bunq+sdk_java/repo \
        --python /work/.mirror/bunq+sdk_python/repo > spec/sdk-models.json
"""
import ast
import json
import re
import subprocess
import sys

REQUEST_SUFFIX = "_field_for_request"


class Repo:
    """Read files at HEAD of a git directory."""

    def __init__(self, git_dir, name):
        self.dir, self.name = git_dir, name
        self.commit = self.git("rev-parse", "HEAD").strip()

    def git(self, *args):
        return subprocess.run(["git", "--git-dir", self.dir] + list(args),
                              check=True, capture_output=True, text=True).stdout

    def read(self, path):
        return self.git("show", "HEAD:" + path)

    def ls(self, folder):
        return sorted(self.git("ls-tree", "--name-only", "HEAD", folder + "/").split())


def keyed(models, kinds_of):
    """{(name, kind): m} -> {key: m}, with "object_." on names of both kinds."""
    return {("object_." + n if kind == "object" and len(kinds_of[n]) > 1 else n): m
            for (n, kind), m in models.items()}


# --- sdk_java ---------------------------------------------------------------

JAVA_DIR = "src/main/java/com/bunq/sdk/model/generated/"
JAVA_SCALARS = {"Integer": "int", "Long": "int", "int": "int", "long": "int",
                "Float": "float", "Double": "float", "BigDecimal": "float",
                "float": "float", "double": "float", "String": "str",
                "Boolean": "bool", "boolean": "bool"}
JAVA_FIELD = re.compile(r'@SerializedName\("(\w+)"\)\s*private\s+([\w<>]+)\s+\w+;')


def java_type(t, clashes):
    m = re.fullmatch(r"List<(\w+)>", t)
    if m:
        return "list[%s]" % java_type(m.group(1), clashes)
    if t in JAVA_SCALARS:
        return JAVA_SCALARS[t]
    if t.endswith("ApiObject"):
        return t[:-len("ApiObject")]
    if t.endswith("Object"):
        name = t[:-len("Object")]
        return "object_." + name if name in clashes else name
    return "any"


def java_models(repo):
    files = {p: ("endpoint", "ApiObject.java") if "/endpoint/" in p else ("object", "Object.java")
             for d in ("endpoint", "object") for p in repo.ls(JAVA_DIR + d)}
    files = {p: (k, p.rsplit("/", 1)[1][:-len(s)]) for p, (k, s) in files.items()
             if p.endswith(s)}
    kinds_of = {}
    for kind, name in files.values():
        kinds_of.setdefault(name, set()).add(kind)
    clashes = {n for n, k in kinds_of.items() if len(k) > 1}
    models = {}
    for path, (kind, name) in files.items():
        src = repo.read(path)
        model = {"kind": kind}
        m = re.search(r'OBJECT_TYPE_GET\s*=\s*"(\w+)"', src)
        if m and m.group(1) != name:
            model["object_type"] = m.group(1)
        model["fields"] = {k: java_type(t, clashes) for k, t in JAVA_FIELD.findall(src)
                           if not k.endswith(REQUEST_SUFFIX)}
        models[name, kind] = model
    return keyed(models, kinds_of), sorted(set(p.rsplit("/", 1)[0] for p in files))


# --- sdk_python -------------------------------------------------------------

PY_DIR = "bunq/sdk/model/generated/"
PY_TYPE = r":type _{}:\s+([\w.]+)(?:\[([\w.]+)\])?"


def py_norm(name, clashes, here):
    if name is None:
        return "any"
    module, _, bare = name.rpartition(".")
    # object_.Avatar, or a bare Avatar inside object_.py: the object_ model.
    if bare in clashes and (module == "object_" or (not module and here == "object")):
        return "object_." + bare
    if bare in {"list", "dict", "object", "bytes", "unicode"}:
        return "any"
    return bare  # object_.Amount -> Amount, int -> int


def py_type(doc, attr, clashes, here):
    m = re.search(PY_TYPE.format(re.escape(attr)), doc or "")
    if m is None:
        return "any"
    main, sub = m.groups()
    if main == "list":
        return "list[%s]" % py_norm(sub, clashes, here)
    return py_norm(main, clashes, here)


def py_wire_name(attr):
    """_id_ -> id, _type_ -> type, _created -> created."""
    name = attr[1:]
    return name[:-1] if name in {"id_", "type_", "object_"} else name


def python_models(repo):
    paths = {PY_DIR + "endpoint.py": "endpoint", PY_DIR + "object_.py": "object"}
    trees = {p: ast.parse(repo.read(p), p) for p in paths}
    classes = {p: [c for c in t.body if isinstance(c, ast.ClassDef)
                   and "BunqModel" in {getattr(b, "id", None) for b in c.bases}]
               for p, t in trees.items()}  # skips the BunqResponseXxx wrappers
    kinds_of = {}
    for p, cs in classes.items():
        for c in cs:
            kinds_of.setdefault(c.name, set()).add(paths[p])
    clashes = {n for n, k in kinds_of.items() if len(k) > 1}
    models = {}
    for p, cs in classes.items():
        for cls in cs:
            doc = ast.get_docstring(cls, clean=False)
            model = {"kind": paths[p], "fields": {}}
            for st in cls.body:
                if not (isinstance(st, ast.Assign) and len(st.targets) == 1
                        and isinstance(st.targets[0], ast.Name)
                        and isinstance(st.value, ast.Constant)):
                    continue
                attr = st.targets[0].id
                if attr == "_OBJECT_TYPE_GET" and st.value.value != cls.name:
                    model["object_type"] = st.value.value
                # _created, _id_, _MonetaryAccountBank; not _ENDPOINT_URL_...
                # constants nor _x_field_for_request attributes.
                if (attr.startswith("_") and not attr.isupper()
                        and not attr.endswith(REQUEST_SUFFIX) and st.value.value is None):
                    model["fields"][py_wire_name(attr)] = py_type(doc, attr[1:], clashes, paths[p])
            models[cls.name, paths[p]] = model
    return keyed(models, kinds_of), list(paths)


# --- merge ------------------------------------------------------------------

def merge(java, python):
    out = {}
    for name, jm in java.items():
        pm = python.get(name)
        model = dict(jm)
        if pm is None:
            model["only_in"] = "java"
        else:
            pf = pm["fields"]
            differs = {k: pf.get(k, "absent") for k, t in jm["fields"].items()
                       if pf.get(k, "absent") != t}
            extra = {k: t for k, t in pf.items() if k not in jm["fields"]}
            if differs:
                model["python_differs"] = differs
            if extra:
                model["python_extra"] = extra
        out[name] = model
    for name, pm in python.items():
        if name not in java:
            out[name] = dict(pm, only_in="python")
    return out


def main(args):
    opts = dict(zip(args[::2], args[1::2]))
    if set(opts) != {"--java", "--python"}:
        sys.exit(__doc__)
    jrepo, prepo = Repo(opts["--java"], "bunq/sdk_java"), Repo(opts["--python"], "bunq/sdk_python")
    java, jpaths = java_models(jrepo)
    python, ppaths = python_models(prepo)
    jversion = re.search(r"^version\s+'([^']+)'", jrepo.read("build.gradle"), re.M).group(1)
    sources = [
        {"repository": jrepo.name, "commit": jrepo.commit, "version": jversion, "paths": jpaths},
        {"repository": prepo.name, "commit": prepo.commit,
         "version": prepo.read("VERSION").strip(), "paths": ppaths},
    ]
    # One model per line keeps the file compact and diffable.
    lines = ['{"sources": [%s,' % json.dumps(sources[0]), "  %s]," % json.dumps(sources[1]),
             ' "extracted_by": "spec/tools/sdk_models.py",', ' "models": {']
    lines += [" %s: %s," % (json.dumps(n), json.dumps(m)) for n, m in merge(java, python).items()]
    lines[-1] = lines[-1].rstrip(",")
    print("\n".join(lines + [" }}"]))


if __name__ == "__main__":
    main(sys.argv[1:])
