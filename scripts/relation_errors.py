"""Sample mistakes of the relation classifier on Evidence Inference (abstract only), for error
analysis: python scripts/relation_errors.py [--model DIR] [--n 30] [--seed 0] [--split test]

Prints each mistake with the prompt, the gold and predicted labels, whether the chosen sentence
was the gold evidence sentence, and both sentences; then counts of mistake kinds."""

from __future__ import annotations

import argparse
import random
from collections import Counter

from evidex.evaluation.relations import evaluate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="relations")
    ap.add_argument("--split", default="test")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    result = evaluate(args.split, args.model, details=True)
    wrong = [p for p in result["predictions"] if p["gold"] != p["predicted"]]
    kinds = Counter(("right sentence" if p["chosen_is_gold"] else "wrong sentence")
                    + f", {p['gold']} -> {p['predicted']}" for p in wrong)
    print(f"{len(wrong)} mistakes of {len(result['predictions'])} prompts; macro F1 {result['metrics']['macro_f1']}")
    for kind, n in kinds.most_common():
        print(f"  {n:4d}  {kind}")
    for i, p in enumerate(random.Random(args.seed).sample(wrong, min(args.n, len(wrong))), 1):
        print(f"\n[{i}] {p['pmcid']}  gold {p['gold']}  predicted {p['predicted']}  (oracle {p['oracle']})")
        print(f"    intervention: {p['intervention']} | comparator: {p['comparator']} | outcome: {p['outcome']}")
        print(f"    chosen: {p['chosen_sentence']}")
        if not p["chosen_is_gold"]:
            print(f"    gold:   {p['gold_sentence']}")


if __name__ == "__main__":
    main()
