"""Named training recipes: loss weights, feature handling and views, with sources.

A recipe fills in every loss setting the user leaves at ``None``; anything set
explicitly (``gamma_soft=0.5``, ``strategy__align="pool"``, ``augmentation=...``)
wins. The strategy decides which of the weighted terms it has (KD has no feature
terms, so their weights do not matter to it).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from .views import ConsistentViews

__all__ = ["RECIPES", "recipe_settings", "recipe_views"]

RECIPES = {
    "paper": {
        "alpha_epoch": 0.3,
        "beta_seq": 0.2,
        "gamma_soft": 0.4,
        "delta_hard": 0.1,
        "temperature": 1.0,
        "normalize_features": True,
        "align": "student_to_teacher",
        "views": False,
    },
    "authors": {
        "alpha_epoch": 0.1,
        "beta_seq": 0.1,
        "gamma_soft": 1.0,
        "delta_hard": 0.0,
        "temperature": 1.0,
        "normalize_features": False,
        "align": "pool",
        "views": False,
    },
}
RECIPES["function_matching"] = {**RECIPES["authors"], "views": True}
"""The recipes, by name.

``"paper"``
    The weights printed in Liang et al. (IJCAI 2023): epoch 0.3, sequence 0.2,
    soft 0.4, hard 0.1, T = 1; features L2-normalised and compared through a
    learnable alignment; guides' outputs cached.
``"authors"``
    The authors' training code (``HychaoWang/SleepKD``,
    ``code/SleepKD_sleepEDF/STU_sleepnet.py`` and ``DistillationZoo/MLKD.py``):
    hard 0, soft (KL, T = 1) 1, 0.1 on the MSE of *raw* epoch and sequence
    features, the bigger model's features max-pooled to the smaller width.
``"function_matching"``
    The authors' weights with consistent views (Beyer et al., CVPR 2022, "a good
    teacher is patient and consistent"): each training batch is shifted,
    scaled and mixed (:class:`~.views.ConsistentViews`), the guides run live on
    that same view, and the targets are mixed with it. Pair it with a long
    schedule (``max_epochs``, ``lr_schedule="cosine"``).
"""


def recipe_settings(name, **explicit):
    """The loss settings of recipe ``name``, with the non-None ``explicit`` ones.

    Raises
    ------
    ValueError
        On an unknown recipe name (the message lists the valid ones).
    """
    if name not in RECIPES:
        raise ValueError(
            f"Unknown recipe {name!r}; valid recipes are: {', '.join(RECIPES)}."
        )
    settings = dict(RECIPES[name])
    settings.update({k: v for k, v in explicit.items() if v is not None})
    return settings


def recipe_views(name, n_classes, seed):
    """The view policy of recipe ``name`` (None when it uses fixed inputs)."""
    if not recipe_settings(name)["views"]:
        return None
    return ConsistentViews(n_classes=n_classes, seed=0 if seed is None else seed)
