#!/usr/bin/env python3
"""Builds recall cases from trufflehog's detector pattern tests, outside this repository.

    python3 bench/secrets/trufflehog_cases.py --fetch bench/secrets/trufflehog-test-files.txt /tmp/th-mirror
    python3 bench/secrets/trufflehog_cases.py /tmp/th-mirror > /tmp/peer-cases/trufflehog.jsonl
    cargo run --release -p cordon-secrets --example peer_recall -- /tmp/peer-cases/trufflehog.jsonl --misses

trufflehog tests each detector's pattern with a table in
`pkg/detectors/<name>/<name>_test.go` (the `Test<Name>_Pattern` function, not
the `*_integration_test.go` files that need live credentials): every row has
an input text and the values the detector must report (`want`), or, in the
older style, `data`, `shouldMatch` and `match`. This script reads a folder of
such Go files (copies of them; nothing of trufflehog's is kept in this
repository), evaluates the string expressions of each row (raw and
interpreted literals, `+`, package and local variables, `fmt.Sprintf`), and
writes one JSON line per row in the format `peer_recall` reads:

    {"source": "trufflehog", "family": "<detector>", "case": "<row name>",
     "expect": "finding" | "none", "text": "<input>"}

A row whose `want` is non-empty (or `shouldMatch: true`) expects a finding;
a row whose `want` is empty expects none (trufflehog's own negatives: wrong
alphabet, keyword too far away, placeholders). Rows it cannot evaluate (an
input built from a value only the live test has, a call it does not know)
are skipped and counted on stderr, per file, so nothing is dropped silently.

`--fetch LIST DIR` downloads the files named in LIST (lines of
`<commit> <path>`, the versions measured in bench/secrets/README.md) from
raw.githubusercontent.com into DIR; it needs github.com, which the build
machines do not reach, so the list is what makes the measurement repeatable.
"""

import json
import os
import re
import sys
import urllib.request


class Unknown(Exception):
    """An expression this evaluator does not know how to compute."""


# ---------------------------------------------------------------- tokenizer

TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<rune>'(?:[^'\\\n]|\\.)+')
  | (?P<number>\d[\w.]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|\.\.\.|&&|\|\||==|!=|<=|>=|[-+*/%&|^<>=!.,;:(){}\[\]])
    """,
    re.VERBOSE | re.DOTALL,
)

SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"'}


def unquote_interpreted(body):
    """The value of a Go interpreted string literal's body (between quotes)."""
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise Unknown("dangling backslash")
        e = body[i + 1]
        if e in SIMPLE_ESCAPES:
            out.append(SIMPLE_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif e == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        elif e in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise Unknown(f"unknown escape \\{e}")
    return "".join(out)


def tokenize(source):
    tokens = []  # (kind, value, line)
    line = 1
    pos = 0
    while pos < len(source):
        match = TOKEN.match(source, pos)
        if match is None:
            # A character Go would reject; skip it rather than stop the file.
            pos += 1
            continue
        kind = match.lastgroup
        text = match.group()
        if kind == "raw":
            # Go drops carriage returns from raw strings.
            tokens.append(("str", text[1:-1].replace("\r", ""), line))
        elif kind == "string":
            try:
                tokens.append(("str", unquote_interpreted(text[1:-1]), line))
            except (Unknown, ValueError):
                tokens.append(("bad", text, line))
        elif kind in ("ident", "number", "op", "rune"):
            tokens.append((kind, text, line))
        line += text.count("\n")
        pos = match.end()
    tokens.append(("eof", "", line))
    return tokens


# ---------------------------------------------------------------- evaluator

class Nil:
    pass


NIL = Nil()


def go_format(fmt, args):
    """fmt.Sprintf for the verbs test tables use (%s, %v, %q, %d, %%)."""
    out = []
    args = list(args)
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        m = re.match(r"%([-+# 0]*\d*(?:\.\d+)?)([svqdx%])", fmt[i:])
        if m is None:
            raise Unknown("format verb")
        verb = m.group(2)
        if verb == "%":
            out.append("%")
        else:
            if not args:
                raise Unknown("missing Sprintf argument")
            value = args.pop(0)
            if verb == "q":
                out.append(json.dumps(value))
            elif verb == "x" and isinstance(value, str):
                out.append(value.encode().hex())
            else:
                out.append(str(value))
        i += len(m.group())
    return "".join(out)


class Parser:
    def __init__(self, tokens, scope):
        self.tokens = tokens
        self.pos = 0
        self.scope = scope

    def peek(self, offset=0):
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self):
        token = self.peek()
        self.pos += 1
        return token

    def accept(self, value):
        if self.peek()[1] == value and self.peek()[0] in ("op", "ident"):
            self.pos += 1
            return True
        return False

    def expect(self, value):
        if not self.accept(value):
            raise Unknown(f"expected {value!r}, found {self.peek()[1]!r}")

    def skip_balanced(self, open_, close):
        """Skips from an opening bracket to its match."""
        self.expect(open_)
        depth = 1
        while depth:
            kind, value, _ = self.next()
            if kind == "eof":
                raise Unknown("unbalanced")
            if kind == "op" and value == open_:
                depth += 1
            elif kind == "op" and value == close:
                depth -= 1

    def parse_type(self):
        """Skips a type expression; returns its spelling's head."""
        if self.accept("["):
            if not self.accept("]"):
                while not self.accept("]"):
                    self.next()
            return "[]" + self.parse_type()
        if self.accept("map"):
            self.skip_balanced("[", "]")
            return "map" + self.parse_type()
        if self.accept("*"):
            return self.parse_type()
        if self.peek()[1] == "struct":
            self.next()
            self.skip_balanced("{", "}")
            return "struct"
        kind, value, _ = self.next()
        if kind != "ident":
            raise Unknown("type")
        name = value
        while self.peek()[1] == "." and self.peek(1)[0] == "ident":
            self.next()
            name += "." + self.next()[1]
        return name

    def parse_expr(self):
        value = self.parse_unary()
        while self.peek()[0] == "op" and self.peek()[1] == "+":
            self.next()
            right = self.parse_unary()
            if isinstance(value, str) and isinstance(right, str):
                value = value + right
            elif isinstance(value, int) and isinstance(right, int):
                value = value + right
            else:
                raise Unknown("+ of non-strings")
        return value

    def parse_unary(self):
        if self.accept("&"):
            return self.parse_unary()
        return self.parse_primary()

    def parse_elements(self):
        """A composite literal's `{…}`: a list, or a dict when keyed."""
        self.expect("{")
        items = []
        keyed = {}
        while not self.accept("}"):
            if self.peek()[0] == "eof":
                raise Unknown("unterminated literal")
            if self.peek()[1] == "{" and self.peek()[0] == "op":
                element = self.parse_elements()
            else:
                element = self.parse_expr_or_unknown()
            if self.accept(":"):
                key = element
                value = self.parse_elements() if self.peek()[1] == "{" else self.parse_expr_or_unknown()
                if isinstance(key, Field):
                    keyed[key.name] = value
                elif isinstance(key, str):
                    keyed[key] = value
            else:
                items.append(element)
            self.accept(",")
        return keyed if keyed else items

    def parse_expr_or_unknown(self):
        """An element value; an unknown one is kept as an exception object so
        the row can still be reported as unparseable by name."""
        start = self.pos
        try:
            return self.parse_expr()
        except Unknown as error:
            # Skip to the end of this element: the next `,` or `}` at depth 0.
            self.pos = start
            depth = 0
            while True:
                kind, value, _ = self.peek()
                if kind == "eof":
                    break
                if kind == "op" and value in "({[":
                    depth += 1
                elif kind == "op" and value in ")}]":
                    if depth == 0:
                        break
                    depth -= 1
                elif kind == "op" and value in (",", ":") and depth == 0:
                    break
                self.next()
            return error

    def parse_args(self):
        self.expect("(")
        args = []
        while not self.accept(")"):
            args.append(self.parse_expr())
            self.accept("...")
            if not self.accept(","):
                self.expect(")")
                break
        return args

    def parse_primary(self):
        kind, value, _ = self.peek()
        if kind == "str":
            self.next()
            return value
        if kind == "bad":
            raise Unknown("string literal with an unknown escape")
        if kind == "number":
            self.next()
            try:
                return int(value, 0)
            except ValueError:
                raise Unknown("number")
        if kind == "op" and value == "(":
            self.next()
            inner = self.parse_expr()
            self.expect(")")
            return inner
        if kind == "op" and value == "[":
            type_name = self.parse_type()
            if self.peek()[1] == "(":
                args = self.parse_args()  # conversion such as []byte(x)
                if len(args) != 1:
                    raise Unknown("conversion")
                return args[0]
            elements = self.parse_elements()
            if type_name.startswith("[]") and isinstance(elements, dict):
                raise Unknown("keyed slice")
            return elements
        if kind == "ident":
            if value == "nil":
                self.next()
                return NIL
            if value in ("true", "false"):
                self.next()
                return value == "true"
            if value == "map":
                self.parse_type()
                return self.parse_elements()
            self.next()
            name = value
            while self.peek()[1] == "." and self.peek(1)[0] == "ident":
                self.next()
                name += "." + self.next()[1]
            if self.peek()[1] == "(":
                args = self.parse_args()
                return call(name, args)
            if self.peek()[1] == "{" and self.peek()[0] == "op" and (name[0].isupper() or "." in name or name in ("args",)):
                return self.parse_elements()
            if self.peek()[1] == ":":
                # A key in a keyed literal.
                return Field(name)
            if name in self.scope:
                return self.scope[name]
            raise Unknown(f"unknown name {name}")
        raise Unknown(f"unexpected {value!r}")


class Field:
    def __init__(self, name):
        self.name = name


def call(name, args):
    if name == "fmt.Sprintf":
        if not args or not isinstance(args[0], str):
            raise Unknown("Sprintf format")
        return go_format(args[0], args[1:])
    if name in ("string", "strings.TrimSpace") and len(args) == 1 and isinstance(args[0], str):
        return args[0].strip() if name == "strings.TrimSpace" else args[0]
    if name == "strings.Repeat" and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], int):
        return args[0] * args[1]
    if name == "strings.Join" and len(args) == 2 and isinstance(args[0], list) and isinstance(args[1], str):
        return args[1].join(args[0])
    raise Unknown(f"call {name}")


# ---------------------------------------------------------------- files

def bind_assignments(tokens, scope):
    """Evaluates every `name = expr` / `name := expr` that starts a line
    (package `var`/`const` blocks and locals), in file order."""
    for i in range(len(tokens) - 2):
        kind, name, line = tokens[i]
        if kind != "ident" or tokens[i + 1][1] not in ("=", ":="):
            continue
        previous = tokens[i - 1] if i else ("op", "(", 0)
        if previous[2] == line and previous[1] not in ("var", "const", "(", "{"):
            continue
        parser = Parser(tokens, scope)
        parser.pos = i + 2
        if tokens[parser.pos][1] == "[" and tokens[parser.pos + 2][1] == "struct":
            continue  # a test table, read later
        try:
            scope[name] = parser.parse_expr()
        except (Unknown, IndexError, RecursionError):
            pass


def find_tables(tokens):
    """Yields (function name, start index of `{` of the rows) for every
    `x := []struct{…}{…}` table."""
    function = ""
    for i in range(len(tokens) - 4):
        kind, value, _ = tokens[i]
        if kind == "ident" and value == "func" and tokens[i + 1][0] == "ident":
            function = tokens[i + 1][1]
        if (
            tokens[i][1] in (":=", "=")
            and tokens[i + 1][1] == "["
            and tokens[i + 2][1] == "]"
            and tokens[i + 3][1] == "struct"
        ):
            parser = Parser(tokens, {})
            parser.pos = i + 4
            try:
                parser.skip_balanced("{", "}")
            except Unknown:
                continue
            yield function, parser.pos


def family_of(path, source):
    header = re.search(r"pkg/detectors/([\w/.-]+?)/[\w.]+_test\.go", source[:400])
    if header:
        parts = [p for p in header.group(1).split("/") if not re.fullmatch(r"v\d+", p)]
        return "/".join(parts)
    return os.path.basename(path).removesuffix("_test.go")


def text_of(value):
    return value if isinstance(value, str) else None


def rows_of(path):
    source = open(path, encoding="utf-8", errors="replace").read()
    tokens = tokenize(source)
    scope = {}
    bind_assignments(tokens, scope)
    tables = list(find_tables(tokens))
    functions = {name for name, _ in tables}
    if any("Pattern" in name for name in functions):
        tables = [(name, start) for name, start in tables if "Pattern" in name]
    family = family_of(path, source)
    rows, skipped = [], []
    for _function, start in tables:
        parser = Parser(tokens, scope)
        parser.pos = start
        try:
            entries = parser.parse_elements()
        except (Unknown, RecursionError) as error:
            skipped.append(f"table: {error}")
            continue
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                skipped.append("row is not a keyed literal")
                continue
            if "input" not in entry and "data" not in entry:
                continue  # not a pattern table (e.g. a verification table)
            name = entry.get("name")
            name = name if isinstance(name, str) else "?"
            if entry.get("skip") is True:
                continue
            text = entry.get("input", entry.get("data"))
            if isinstance(text, Exception) or text_of(text) is None:
                skipped.append(f"{name}: {text if isinstance(text, Exception) else 'input is not a string'}")
                continue
            if "shouldMatch" in entry:
                expect = entry["shouldMatch"]
            elif "want" in entry:
                want = entry["want"]
                if isinstance(want, Exception):
                    skipped.append(f"{name}: want: {want}")
                    continue
                expect = isinstance(want, list) and len(want) > 0
            else:
                skipped.append(f"{name}: no want/shouldMatch")
                continue
            if not isinstance(expect, bool):
                skipped.append(f"{name}: expectation is not a bool")
                continue
            rows.append({
                "source": "trufflehog",
                "family": family,
                "case": name,
                "expect": "finding" if expect else "none",
                "text": text,
            })
    return rows, skipped


def fetch_pinned(list_path, out_dir, repo, target_name):
    """Downloads every `COMMIT PATH` line of `list_path` from `repo` at that
    commit into `out_dir`, as `target_name(path)`, headed by where it came
    from. Shared with gitleaks_cases.py."""
    os.makedirs(out_dir, exist_ok=True)
    for line in open(list_path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        commit, path = line.split()
        url = f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"
        target = os.path.join(out_dir, target_name(path))
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode("utf-8", errors="replace")
        with open(target, "w", encoding="utf-8") as out:
            out.write(f"// {repo} {path} @ {commit}\n{body}")
        print(f"fetched {path}", file=sys.stderr)


def fetch(list_path, out_dir):
    fetch_pinned(
        list_path,
        out_dir,
        "trufflesecurity/trufflehog",
        lambda path: path.replace("pkg/detectors/", "").replace("/", "__"),
    )


def source_dir(argv, doc, usage, self_test, fetch):
    """The command line both case builders share: `--self-test`,
    `--fetch LIST DIR`, or the one DIR to read. Returns `(DIR, None)`, or
    `(None, exit code)` when there is nothing more to do."""
    if argv == ["--self-test"]:
        self_test()
        return None, 0
    if len(argv) == 3 and argv[0] == "--fetch":
        fetch(argv[1], argv[2])
        return None, 0
    if len(argv) != 1:
        print(doc.strip().splitlines()[0], file=sys.stderr)
        print(f"usage: {usage} DIR > cases.jsonl | --fetch LIST DIR | --self-test", file=sys.stderr)
        return None, 2
    return argv[0], None


def files_under(root, keep):
    """Every file below `root` whose name `keep` accepts, sorted."""
    return sorted(
        os.path.join(folder, name)
        for folder, _dirs, names in os.walk(root)
        for name in names
        if keep(name)
    )


SELF_TEST = r"""
package example

var (
	validKey = "k3y" + `RAW` + "\tq\x41\u00e9"
	keyword  = "example"
	notKnown = someCall()
)

func TestExample_Other(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{name: "ignored: not a Pattern function", input: "x", want: []string{"x"}},
	}
}

func TestExample_Pattern(t *testing.T) {
	local := fmt.Sprintf("%s=%q", keyword, "v")
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name:  "sprintf and concatenation", // a comment
			input: fmt.Sprintf("%s token = '%s' %d%%", keyword, validKey, 7),
			want:  []string{validKey},
		},
		{name: "local", input: local + strings.Repeat("ab", 2), want: []string{"v"}},
		{name: "negative", input: `raw ${x}`, want: nil},
		{name: "empty want", input: "y", want: []string{}},
		{name: "unknown input", input: notKnown, want: []string{"z"}},
	}
}
"""


def self_test():
    """Checks the evaluator on a table that uses every construct it reads."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "example_test.go")
        with open(path, "w", encoding="utf-8") as out:
            out.write("// trufflesecurity/trufflehog pkg/detectors/example/example_test.go @ 0\n" + SELF_TEST)
        rows, skipped = rows_of(path)
    got = [(r["case"], r["expect"], r["text"]) for r in rows]
    want = [
        ("sprintf and concatenation", "finding", "example token = 'k3yRAW\tqA\u00e9' 7%"),
        ("local", "finding", 'example="v"abab'),
        ("negative", "none", "raw ${x}"),
        ("empty want", "none", "y"),
    ]
    assert got == want, f"rows: {got}"
    assert len(skipped) == 1 and skipped[0].startswith("unknown input:"), skipped
    assert all(r["family"] == "example" for r in rows)
    print("self-test passed", file=sys.stderr)


def main(argv):
    root, code = source_dir(argv, __doc__, "trufflehog_cases.py", self_test, fetch)
    if root is None:
        return code
    files = files_under(
        root, lambda name: name.endswith("_test.go") and not name.endswith("_integration_test.go")
    )
    counts = {"files": 0, "files without a pattern table": 0, "finding": 0, "none": 0, "skipped rows": 0}
    for path in files:
        rows, skipped = rows_of(path)
        counts["files"] += 1
        if not rows and not skipped:
            counts["files without a pattern table"] += 1
        for row in rows:
            counts[row["expect"]] += 1
            print(json.dumps(row))
        for reason in skipped:
            counts["skipped rows"] += 1
            print(f"skipped {os.path.basename(path)}: {reason}", file=sys.stderr)
    print(
        "{files} files ({files without a pattern table} without a pattern table): "
        "{finding} rows expecting a finding, {none} expecting none, {skipped rows} rows skipped".format(**counts),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
