"""GridSearchCV / cross_validate of SleepKDClassifier on a dask cluster via joblib.

The documented recipe (docs/deployment.rst)::

    with Client(cluster), joblib.parallel_backend("dask"):
        GridSearchCV(clf, grid, cv=cv, n_jobs=-1).fit(X, y)

Each fit seeds torch from ``random_state``; the workers are processes with one
thread each so that two fits never share torch's global random generator. Here
they are forked (where the platform allows it) so that they start in well under a
second instead of re-importing torch and braindecode.
"""

import multiprocessing

import numpy as np
import pytest
from helpers import make_data, tiny_clf
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

distributed = pytest.importorskip("dask.distributed")
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.timeout(180)


def _estimator():
    return tiny_clf(batch_size=8)


@pytest.fixture(scope="module")
def client():
    import dask

    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_gridsearch_and_cross_validate_on_dask_equal_sequential(client):
    X, y, _ = make_data(n_seq=16, seq_len=4)
    grid = {"lr": [1e-3, 3e-2]}
    cv = KFold(n_splits=2)

    sequential = GridSearchCV(_estimator(), grid, cv=cv, n_jobs=1).fit(X, y)
    cv_seq = cross_validate(_estimator(), X, y, cv=cv, n_jobs=1)

    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(_estimator(), grid, cv=cv, n_jobs=-1).fit(X, y)
        cv_dask = cross_validate(_estimator(), X, y, cv=cv, n_jobs=-1)

    # the work really ran on the cluster's two worker processes
    assert len(client.scheduler_info()["workers"]) == 2
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_allclose(
            on_dask.cv_results_[key], sequential.cv_results_[key], atol=1e-12
        )
    assert on_dask.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(on_dask.predict(X), sequential.predict(X))
    np.testing.assert_allclose(cv_dask["test_score"], cv_seq["test_score"], atol=1e-12)
    assert on_dask.best_estimator_.predict(X).shape == (16, 4)
