"""``sleepkd demo``: distil teacher -> assistant -> student on the real sample.

Loads the DREAMS excerpts (:func:`~braindecode_sleepkd.datasets.load_sample`),
holds one patient out, fits :class:`~braindecode_sleepkd.SleepKDClassifier` on the
others and prints the stages, the test scores of teacher, assistant and student,
and their size and speed. The sample is tiny (6 patients, 360 epochs): the
numbers show the pipeline working, not what the method can reach.
"""

import time

import numpy as np


def add_parser(subparsers):
    """Register the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo", help="distil teacher -> assistant -> student on the real sample"
    )
    parser.add_argument("--family", default="deepsleepnet", help="model family")
    parser.add_argument("--max-epochs", type=int, default=20, help="epochs per stage")
    parser.add_argument("--seq-len", type=int, default=10, help="epochs per sequence")
    parser.add_argument(
        "--stride", type=int, default=2, help="epochs between training sequences"
    )
    parser.add_argument("--test-subject", type=int, default=1, help="held-out excerpt")
    parser.add_argument("--data", default=None, help="folder with dreams-spindles/")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)
    return parser


def _scores(model, X, y):
    import torch

    from ..metrics import scores

    model.eval()
    with torch.inference_mode():
        pred = model(torch.as_tensor(X)).argmax(-1).numpy()
    return scores(y, pred)


def run(args):
    """Run the demo; returns the exit code."""
    import torch

    from ..datasets import load_sample, make_sequences
    from ..estimator import SleepKDClassifier
    from ..evaluation import compare_models
    from ..preprocessing import EpochScaler
    from . import CommandError

    if args.max_epochs < 1 or args.seq_len < 1:
        raise CommandError("--max-epochs and --seq-len must be >= 1.")
    start = time.time()
    windows = load_sample(path=args.data, sfreq=100.0)
    X, y, groups = make_sequences(windows, args.seq_len)
    X = EpochScaler().fit_transform(X)
    # overlapping training sequences: more distinct contexts from a tiny sample
    Xs, ys, gs = make_sequences(windows, args.seq_len, stride=args.stride)
    Xs = EpochScaler().fit_transform(Xs)
    subjects = sorted(set(groups.tolist()))
    if args.test_subject not in subjects:
        raise CommandError(
            f"--test-subject {args.test_subject} is not in the sample {subjects}."
        )
    test = groups == args.test_subject
    train = gs != args.test_subject
    print(
        f"Sample: {len(windows.datasets)} DREAMS excerpts, {X.shape[0] * X.shape[1]} "
        f"epochs in {len(X)} sequences of {args.seq_len}; test patient "
        f"{args.test_subject} ({int(test.sum())} sequences). Tiny real data: "
        "expect noisy scores."
    )
    family = args.family
    clf = SleepKDClassifier(
        family,
        family,
        family,
        strategy="sleepkd",  # the paper's chain: teacher -> assistant -> student
        max_epochs=args.max_epochs,
        random_state=args.seed,
        batch_size=16,
        optimizer__weight_decay=1e-3,
        verbose=0,
    )
    clf.fit(Xs[train], ys[train])
    print("\nStages:")
    for stage in clf.stages_:
        print(f"  {stage}")
    rows = {
        "teacher": clf.teacher_,
        "assistant": clf.assistant_,
        "student": clf.module_,
    }
    print(f"\nTest scores (patient {args.test_subject}):")
    print(f"  {'model':<10} {'accuracy':>8} {'macro-F1':>8} {'kappa':>7}")
    for name, model in rows.items():
        s = _scores(model, X[test], y[test])
        print(
            f"  {name:<10} {s['accuracy']:8.3f} {s['macro_f1']:8.3f} {s['kappa']:7.3f}"
        )
    majority = np.bincount(ys[train].ravel()).argmax()
    print(f"  {'majority':<10} {float((y[test] == majority).mean()):8.3f}")
    cost = compare_models(
        rows, torch.as_tensor(X[:1]), n_repeats=5, batch_sizes=(1, 64), n_warmup=1
    )
    print("\nSize and CPU speed (one sequence; ratios vs the teacher):")
    print(
        f"  {'model':<10} {'params':>9} {'MiB':>6} {'compression':>11} {'speed-up':>8}"
    )
    for name, rep in cost.items():
        print(
            f"  {name:<10} {rep['n_params']:>9,} {rep['size_mib']:6.2f} "
            f"{rep['compression']:10.2f}x {rep['speedup_throughput']:7.2f}x"
        )
    print(f"\nDone in {time.time() - start:.0f} s.")
    return 0
