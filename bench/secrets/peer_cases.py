#!/usr/bin/env python3
"""Builds recall cases from a peer scanner's own rule list, outside this repository.

    kingfisher rules list -f json -o /tmp/peer-cases/rules.json
    python3 bench/secrets/peer_cases.py /tmp/peer-cases/rules.json > /tmp/peer-cases/cases.jsonl
    cargo run -p cordon-secrets --example peer_recall -- /tmp/peer-cases/cases.jsonl

gitleaks builds the true positives of its rules by generating a value from
each rule's secret pattern and placing it in a few assignment shapes
(`utils.GenerateSampleSecret`). This script does the same for every rule a
peer lists (Kingfisher bundles the Betterleaks and Veles rule sets, so
`kingfisher rules list -f json` gives their ids and patterns): it generates a
value from the rule's secret group with a seeded random walk of the parsed
pattern, and writes it in four contexts named after the rule id (the last a
Kubernetes env entry, where only the value's own shape can be found). Nothing it
reads or writes belongs in this repository; run it into a temporary folder.
"""

import json
import random
import re
import sys

try:  # Python 3.11+
    import re._parser as sre_parse
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

MAX_REPEAT = 40
# Characters a class such as `\w` or `.` is drawn from: letters and digits,
# so generated values look random rather than full of punctuation.
WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Unsupported(Exception):
    pass


def pick_from_class(items, rng, ignore_case):
    chars = []
    negate = False
    for op, av in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.append(chr(av))
        elif op is sre_constants.RANGE:
            lo, hi = av
            chars.extend(chr(c) for c in range(lo, min(hi, lo + 200) + 1))
        elif op is sre_constants.CATEGORY:
            if av is sre_constants.CATEGORY_DIGIT:
                chars.extend("0123456789")
            elif av is sre_constants.CATEGORY_WORD:
                chars.extend(WORD + "_")
            elif av is sre_constants.CATEGORY_SPACE:
                chars.append(" ")
            else:
                raise Unsupported(str(av))
        else:
            raise Unsupported(str(op))
    if negate:
        chars = [c for c in WORD if c not in chars]
    if not chars:
        raise Unsupported("empty class")
    return rng.choice(chars)


def generate(parsed, rng, groups, ignore_case=False):
    out = []
    for op, av in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(av))
        elif op is sre_constants.NOT_LITERAL:
            out.append(rng.choice([c for c in WORD if ord(c) != av]))
        elif op is sre_constants.ANY:
            out.append(rng.choice(WORD))
        elif op is sre_constants.IN:
            out.append(pick_from_class(av, rng, ignore_case))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            lo, hi, sub = av
            hi = min(hi, max(lo, MAX_REPEAT)) if hi != sre_constants.MAXREPEAT else max(lo, MAX_REPEAT)
            # Favour the longest form: peers' secrets are usually fixed
            # width, and the upper bound is the common real length.
            count = hi if rng.random() < 0.6 else rng.randint(lo, hi)
            for _ in range(count):
                out.append(generate(sub, rng, groups, ignore_case))
        elif op is sre_constants.SUBPATTERN:
            group, _add, _del, sub = av
            text = generate(sub, rng, groups, ignore_case)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif op is sre_constants.BRANCH:
            _, branches = av
            out.append(generate(rng.choice(branches), rng, groups, ignore_case))
        elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        elif op is sre_constants.CATEGORY:
            out.append(pick_from_class([(op, av)], rng, ignore_case))
        elif op is sre_constants.GROUPREF:
            out.append(groups.get(av, ""))
        else:
            raise Unsupported(str(op))
    return "".join(out)


def go_to_python(pattern):
    # RE2 spellings Python does not read.
    pattern = pattern.replace("\\z", "\\Z")
    pattern = re.sub(r"\[\[:(\w+):\]\]", lambda m: {"alnum": "[A-Za-z0-9]", "digit": "[0-9]", "xdigit": "[0-9a-fA-F]", "alpha": "[A-Za-z]", "upper": "[A-Z]", "lower": "[a-z]"}.get(m.group(1), "[A-Za-z0-9]"), pattern)
    pattern = re.sub(r"\[:(\w+):\]", lambda m: {"alnum": "A-Za-z0-9", "digit": "0-9", "xdigit": "0-9a-fA-F", "alpha": "A-Za-z", "upper": "A-Z", "lower": "a-z"}.get(m.group(1), "A-Za-z0-9"), pattern)
    pattern = pattern.replace("\\x60", "`")
    return pattern


def secret_part(parsed):
    """The first capture group's sub-pattern (gitleaks' `secretGroup`
    defaults to the first group), or the whole pattern."""
    for op, av in parsed:
        if op is sre_constants.SUBPATTERN and av[0] is not None:
            return av[3]
    for op, av in parsed:
        if op is sre_constants.SUBPATTERN:
            found = secret_part(av[3])
            if found is not None:
                return found
    return None


def main():
    rules = json.load(open(sys.argv[1]))
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    skipped = 0
    for rule in rules:
        source, _, rule_id = rule["id"].partition(".")
        rule_id = rule_id.rsplit(".", 1)[0] if rule_id[-2:-1] == "." else rule_id
        family = re.split(r"[-_./]", rule_id.removeprefix("secrets/"))[0]
        try:
            parsed = sre_parse.parse(go_to_python(rule["pattern"]))
            part = secret_part(parsed) or parsed
            secret = generate(part, rng, {})
        except (Unsupported, re.error, RecursionError, OverflowError, ValueError):
            skipped += 1
            continue
        if not secret or "\n" in secret:
            skipped += 1
            continue
        name = re.sub(r"[^A-Za-z0-9]+", "_", rule_id.removeprefix("secrets/"))
        for text in (
            f'{name} = "{secret}"\n',
            f"{name.upper()}={secret}\n",
            f"{name}: '{secret}'\n",
            # A Kubernetes env entry: the name is in a sibling field, so
            # only a rule that knows the value's own shape can find it.
            f"- name: {name.upper()}\n  value: {secret}\n",
        ):
            print(json.dumps({"source": source, "family": family, "text": text}))
    print(f"skipped {skipped} rules with patterns this generator cannot walk", file=sys.stderr)


if __name__ == "__main__":
    main()
