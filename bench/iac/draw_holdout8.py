#!/usr/bin/env python3
"""Draws the `holdout8` batch of the independent corpus from its population,
with a fixed seed, so anyone can check that the batch was not picked by hand.

The population (`holdout8-population.tsv`) lists every KICS query of the
five platforms with the theme it is about, or why it is out. Only the
in-theme queries not already in the manifest are drawn from. The draw is
stratified: Terraform AWS, Terraform Azure, Terraform GCP, CloudFormation,
Kubernetes, Dockerfile and GitHub Actions each get at least one check, and
the rest of the sample is shared in proportion to each stratum's size
(largest remainder).

Within a stratum the queries are sorted by KICS id and shuffled with one
`random.Random(SEED)`; the batch takes the first ones in that order. A
drawn query whose files turn out to be unusable (the exclusion rules of
fetch_corpus.md, judged by reading the files, never by tool output) is
listed in `holdout8-exclusions.tsv` with the reason, and the next query of
the same stratum takes its place, so exclusions cannot steer the draw.

`holdout8b` continues the same draw: it is the draw of 80 checks less the
64 of `holdout8` (the same seeded order, each stratum's share grown to its
share of 80), added after `holdout8` had been measured and committed
before any of its own files was read.

Usage:
  python3 bench/iac/draw_holdout8.py            # prints the batch as TSV
  python3 bench/iac/draw_holdout8.py --check holdout8-draw.tsv
  python3 bench/iac/draw_holdout8.py --batch holdout8b [--check holdout8b-draw.tsv]
"""

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261207
SAMPLE_SIZE = 64
# Each batch is the draw of this many checks less the batches before it.
BATCH_SIZES = {"holdout8": SAMPLE_SIZE, "holdout8b": 80}
STRATA = ["tf-aws", "tf-azure", "tf-gcp", "cfn", "k8s", "dockerfile", "gha"]


def read_tsv(path):
    lines = [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def in_theme(row):
    return not row["theme"].startswith("out") and row["theme"] != "in-manifest"


def allocate(sizes, total):
    """At least one per stratum, the rest in proportion (largest remainder)."""
    shares = {stratum: 1 for stratum in sizes}
    rest = total - len(sizes)
    pool = sum(size - 1 for size in sizes.values())
    exact = {stratum: rest * (size - 1) / pool for stratum, size in sizes.items()}
    for stratum, value in exact.items():
        shares[stratum] += int(value)
    left = total - sum(shares.values())
    by_remainder = sorted(sizes, key=lambda s: (-(exact[s] - int(exact[s])), STRATA.index(s)))
    for stratum in by_remainder[:left]:
        shares[stratum] += 1
    return shares


def draw(population, exclusions, sample_size=SAMPLE_SIZE):
    rng = random.Random(SEED)
    candidates = {stratum: [] for stratum in STRATA}
    for row in population:
        if in_theme(row):
            candidates[row["stratum"]].append(row)
    shares = allocate({s: len(rows) for s, rows in candidates.items()}, sample_size)
    batch = []
    for stratum in STRATA:
        order = sorted(candidates[stratum], key=lambda row: row["kics_id"])
        rng.shuffle(order)
        taken = 0
        for rank, row in enumerate(order, 1):
            if taken == shares[stratum]:
                break
            if row["kics_id"] in exclusions:
                continue
            batch.append({"stratum": stratum, "rank": str(rank), **{k: row[k] for k in ("kics_id", "theme", "query")}})
            taken += 1
    return shares, batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--population", default=str(HERE / "holdout8-population.tsv"))
    parser.add_argument("--exclusions", default=str(HERE / "holdout8-exclusions.tsv"))
    parser.add_argument("--check", help="fail unless this file equals the draw")
    parser.add_argument("--batch", choices=sorted(BATCH_SIZES), default="holdout8")
    args = parser.parse_args()

    exclusions = {}
    if Path(args.exclusions).exists():
        exclusions = {row["kics_id"]: row["reason"] for row in read_tsv(args.exclusions)}
    population = read_tsv(args.population)
    shares, batch = draw(population, exclusions, BATCH_SIZES[args.batch])
    header = f"# seed {SEED}, {SAMPLE_SIZE} checks; per stratum: "
    earlier = [size for size in BATCH_SIZES.values() if size < BATCH_SIZES[args.batch]]
    if earlier:
        before_shares, before = draw(population, exclusions, max(earlier))
        taken = {row["kics_id"] for row in before}
        batch = [row for row in batch if row["kics_id"] not in taken]
        shares = {s: shares[s] - before_shares[s] for s in STRATA}
        header = (f"# seed {SEED}, {args.batch}: the draw of {BATCH_SIZES[args.batch]} less the draw of "
                  f"{max(earlier)}, {len(batch)} checks; per stratum: ")
    columns = ["stratum", "rank", "kics_id", "theme", "query"]
    text = "\n".join(
        [header + ", ".join(f"{s} {shares[s]}" for s in STRATA),
         "\t".join(columns)]
        + ["\t".join(row[c] for c in columns) for row in batch]
    ) + "\n"
    if args.check:
        if Path(args.check).read_text() != text:
            sys.exit(f"{args.check} is not the {args.batch} draw of seed {SEED}")
        print(f"{args.check}: the {args.batch} draw of seed {SEED} ({len(batch)} checks)")
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
