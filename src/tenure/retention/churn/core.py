"""The churn model: a regularised logistic regression (explainable: the effect of +1 standard
deviation of each feature) and gradient-boosted trees, with a time-ordered backtest. Pure.

The backtest never lets a model see the future: for each block of later observation dates it
trains only on observations whose outcome was known before the block's first date (their
renewal had happened), then scores the block. Predictions of all blocks are pooled into
AUC, top-decile lift and calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from tenure.kit.errors import TenureError
from tenure.kit.numbers import human
from tenure.retention.churn.features import CATEGORICAL, ChurnOptions
from tenure.retention.evaluation import auc, brier, calibration, top_lift

MODELS = ("logistic", "boosting")
MIN_CATEGORY_COUNT = 5  # rarer categorical values are pooled as "other"
MIN_TRAIN = 30
MIN_CLASS = 5
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Design:
    """Which columns a model reads: numeric features (skewed counts on a log scale) and
    one-hot categories."""

    numeric: list[str]
    categories: dict[str, list[str]]
    # Non-negative, right-skewed features read as log(1 + x): usage counts and money follow
    # a long tail, and a log scale keeps a few huge accounts from dominating a linear model
    # ("Fighting Churn With Data", chapter 5). Not when the outcomes say the plain scale fits
    # clearly better: a short-tailed count whose risk climbs at its top (support calls: churn
    # jumps at four and more) loses that on a log scale (measured on R's modeldata
    # `mlc_churn` through the imports: logistic AUC 0.799 with every skewed feature logged,
    # 0.819 with support calls left plain).
    logged: frozenset[str] = frozenset()

    @classmethod
    def learn(cls, features: pd.DataFrame, labels: npt.ArrayLike | None = None) -> Design:
        """The columns of `features`; with `labels` (the same rows' outcomes), each skewed
        feature's scale is the one on which it alone fits them better."""
        categorical = [c for c in features.columns if _is_categorical(features[c])]
        numeric = [
            c for c in features.columns if c not in categorical and features[c].notna().any()
        ]
        y = None if labels is None else np.asarray(labels, dtype=np.int64)
        logged = frozenset(
            c
            for c in numeric
            if _skewed(features[c]) and (y is None or _log_fits_better(features[c], y))
        )
        categories = {}
        for name in categorical:
            if name in features:
                counts = features[name].value_counts()
                common = sorted(str(v) for v in counts[counts >= MIN_CATEGORY_COUNT].index)
                if len(common) > 1 or (len(common) == 1 and counts.size > 1):
                    categories[name] = common
        return cls(numeric, categories, logged)

    @property
    def names(self) -> list[str]:
        return self.numeric + [f"{c}={v}" for c, values in self.categories.items() for v in values]

    def matrix(self, features: pd.DataFrame) -> Matrix:
        columns = []
        for name in self.numeric:
            if name not in features:
                columns.append(np.full(len(features), np.nan))
                continue
            values = pd.to_numeric(features[name], errors="coerce").to_numpy(dtype=float)
            columns.append(np.log1p(np.clip(values, 0, None)) if name in self.logged else values)
        for name, values in self.categories.items():
            column = features[name].astype(str) if name in features else None
            for value in values:
                columns.append(
                    (column == value).to_numpy(dtype=float)
                    if column is not None
                    else np.zeros(len(features))
                )
        if not columns:
            return np.zeros((len(features), 0))
        return np.column_stack(columns)


def _is_categorical(column: pd.Series) -> bool:
    return column.name in CATEGORICAL or not pd.api.types.is_numeric_dtype(column)


def _skewed(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce").dropna().to_numpy(dtype=float)
    if len(values) < 3 or values.min() < 0:
        return False
    centred = values - values.mean()
    variance = float(np.mean(centred**2))
    if variance <= 1e-12 * (1.0 + values.mean() ** 2):  # constant, up to rounding
        return False
    return bool(float(np.mean(centred**3)) / variance**1.5 > 1.0)


# The plain scale must fit clearly better to replace the log scale: by more than this share of
# the log loss (on the simulated companies the two often differ by less, one way or the other,
# and a feature's scale should not flip between retrains on noise).
PLAIN_SCALE_MARGIN = 0.01


def _log_fits_better(column: pd.Series, y: npt.NDArray[np.int64]) -> bool:
    """Whether log(1 + x) explains `y` about as well as x or better, each alone in a logistic
    regression on the rows with a value (the log loss of the fit)."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(values)
    x, t = values[known], y[known]
    if len(set(t.tolist())) < 2:
        return True

    def loss(v: Matrix) -> float:
        z = ((v - v.mean()) / (v.std() or 1.0)).reshape(-1, 1)
        p = LogisticRegression().fit(z, t).predict_proba(z)[:, 1]
        return float(log_loss(t, p, labels=[0, 1]))

    return loss(x) >= loss(np.log1p(np.clip(x, 0, None))) * (1 - PLAIN_SCALE_MARGIN)


CLIP_SD = 3.0


def clip_outliers(z: Matrix) -> Matrix:
    """Standardised values beyond 3 standard deviations count as 3: one extreme account (or
    a later period's drift) must not swing a linear model's prediction."""
    clipped: Matrix = np.clip(z, -CLIP_SD, CLIP_SD)
    return clipped


def make_logistic(folds: Any = 5) -> Pipeline:
    """L2-regularised logistic regression on standardised features clipped at 3 standard
    deviations, the strength chosen by cross-validated log loss; a missing value takes the
    feature's median. (Measured on the demo company and four simulated ones, clipping and
    leaving out missing-value flags raised the backtest AUC by 0.01 to 0.08 each.) `folds`
    are the cross-validation splits that choose the strength (see `_inner_folds`)."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("clip", FunctionTransformer(clip_outliers, feature_names_out="one-to-one")),
            (
                "model",
                LogisticRegressionCV(
                    Cs=[0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
                    l1_ratios=(0.0,),
                    scoring="neg_log_loss",
                    use_legacy_attributes=False,
                    cv=folds,
                    max_iter=2000,
                ),
            ),
        ]
    )


def make_boosting(seed: int = 0) -> HistGradientBoostingClassifier:
    # Churn data sets are small (hundreds to thousands of observations, tens of churners):
    # stumps-and-pairs trees, a slow learning rate, large leaves and half the features per
    # split. Against depth 3 and leaves of 20 this raised the mean backtest AUC over three
    # demo companies and three simulated ones from 0.742 to 0.762. No early stopping, so a
    # fit is reproducible.
    return HistGradientBoostingClassifier(
        learning_rate=0.03,
        max_iter=150,
        max_depth=2,
        min_samples_leaf=30,
        l2_regularization=1.0,
        max_features=0.5,
        early_stopping=False,
        random_state=seed,
    )


def _inner_folds(
    y: npt.NDArray[np.int64], accounts: npt.NDArray[Any] | None
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Splits for choosing the regularisation: stratified, and with an account's several
    observations kept in one fold. Shuffling observations freely would test the model on
    accounts it trained on, reward overfitting, and pick too weak a penalty (measured: the
    grouped choice lifted the demo company's backtest AUC from 0.73 to 0.85 on one seed)."""
    if accounts is None:
        accounts = np.arange(len(y))
    churners = len(set(accounts[y == 1]))
    stayers = len(set(accounts[y == 0]))
    k = max(2, min(5, churners, stayers))
    splitter = StratifiedGroupKFold(k, shuffle=True, random_state=0)
    return list(splitter.split(np.zeros(len(y)), y, groups=accounts))


def _fit(
    name: str, x: Matrix, y: npt.NDArray[np.int64], accounts: npt.NDArray[Any] | None = None
) -> Any:
    model = make_logistic(_inner_folds(y, accounts)) if name == "logistic" else make_boosting()
    # One thread: on data of this size, OpenMP and BLAS threads cost more than they give
    # (measured 5.8 s against 0.1 s for the boosted model on a busy 2-core machine).
    with threadpool_limits(limits=1):
        return model.fit(x, y)


def _predict(model: Any, x: Matrix) -> Matrix:
    with threadpool_limits(limits=1):
        result: Matrix = model.predict_proba(x)[:, 1]
    return result


def _check_trainable(y: npt.NDArray[np.int64], what: str) -> None:
    positives = int(y.sum())
    negatives = len(y) - positives
    if len(y) < MIN_TRAIN or positives < MIN_CLASS or negatives < MIN_CLASS:
        raise TenureError(
            f"{what}: {len(y)} observations with a known outcome, {positives} churned and "
            f"{negatives} renewed; the churn model needs at least {MIN_TRAIN} observations "
            f"and {MIN_CLASS} of each (observe a longer period or more accounts)"
        )


@dataclass
class ChurnModel:
    options: ChurnOptions
    design: Design
    models: dict[str, Any]
    trained_until: date
    observations: int
    positives: int
    backtest: list[dict[str, Any]] = field(default_factory=list)
    sklearn_version: str = sklearn.__version__
    # The backtest's full rows (calibration tables included) and when they were computed, kept
    # so the backtest page reads them instead of rerunning every fold. None on a model pickled
    # before they were kept: a class attribute, so unpickling an older model still works.
    backtest_rows: list[dict[str, Any]] | None = None
    backtest_at: datetime | None = None

    @property
    def best(self) -> str:
        """The model with the higher backtest AUC (logistic when there is no backtest)."""
        scored = [(r["auc"], r["model"]) for r in self.backtest if r.get("auc") is not None]
        return max(scored)[1] if scored else "logistic"

    def probabilities(self, features: pd.DataFrame, name: str | None = None) -> Matrix:
        name = name or self.best
        if name not in self.models:
            raise TenureError(f"--model {name!r}: one of {', '.join(self.models)}")
        return _predict(self.models[name], self.design.matrix(features))

    def _logistic_parts(self) -> tuple[list[str], Matrix, Matrix, Matrix]:
        pipeline: Pipeline = self.models["logistic"]
        names = list(pipeline[:-1].get_feature_names_out(self.design.names))
        scaler: StandardScaler = pipeline.named_steps["scale"]
        coef = pipeline.named_steps["model"].coef_[0]
        return names, coef, scaler.mean_, scaler.scale_

    def effects(self) -> list[dict[str, Any]]:
        """Per feature of the logistic model: the odds ratio of +1 standard deviation, and
        the change in churn probability it makes for an account at the average rate."""
        names, coef, mean, scale = self._logistic_parts()
        base = self.positives / self.observations if self.observations else 0.0
        logit = math.log(base / (1 - base)) if 0 < base < 1 else 0.0
        rows = []
        for name, c, m, s in zip(names, coef, mean, scale, strict=True):
            rows.append(
                {
                    "feature": _readable(name),
                    "scale": "log(1 + x)" if name in self.design.logged else "x",
                    "mean": float(m),
                    "sd": float(s),
                    "coefficient": float(c),
                    "odds_ratio_per_sd": math.exp(float(c)),
                    "probability_change_per_sd": 1 / (1 + math.exp(-(logit + float(c)))) - base,
                }
            )
        return sorted(rows, key=lambda r: -abs(r["coefficient"]))

    def reasons(self, features: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """For each row, the features pushing its churn risk up most (logistic model)."""
        pipeline: Pipeline = self.models["logistic"]
        names, coef, mean, _ = self._logistic_parts()
        x = self.design.matrix(features)
        z = pipeline[:-1].transform(x)
        imputed = pipeline.named_steps["impute"].transform(x)
        contributions = z * coef
        out = []
        for row in range(len(x)):
            order = np.argsort(-contributions[row])
            said = []
            for j in order[:top]:
                if contributions[row, j] <= 0:
                    break
                value, typical = float(imputed[row, j]), float(mean[j])
                if names[j] in self.design.logged:
                    value, typical = math.expm1(value), math.expm1(typical)
                said.append(_reason(names[j], value, typical))
            out.append(said)
        return out


def _readable(name: str) -> str:
    if name.startswith("missingindicator_"):
        return f"no data: {name.removeprefix('missingindicator_')}"
    return name


def _reason(name: str, value: float, typical: float) -> str:
    if name.startswith("missingindicator_"):
        return f"no {name.removeprefix('missingindicator_')} data"
    if "=" in name:
        return name
    return f"{name} {human(value)} (typical {human(typical)})"


def train(
    features: pd.DataFrame,
    labels: pd.Series,
    options: ChurnOptions,
    trained_until: date,
    accounts: Sequence[str] | pd.Series | None = None,
) -> ChurnModel:
    """Both models on every observation with a known outcome (`accounts`: each row's
    account, so an account's observations stay together when choosing the penalty)."""
    known = labels.notna().to_numpy()
    y = labels[known].to_numpy(dtype=np.int64)
    _check_trainable(y, "training")
    design = Design.learn(features[known], y)
    x = design.matrix(features[known])
    groups = None if accounts is None else np.asarray(accounts)[known]
    models = {name: _fit(name, x, y, groups) for name in MODELS}
    return ChurnModel(options, design, models, trained_until, len(y), int(y.sum()))


@dataclass(frozen=True)
class Predictions:
    labels: npt.NDArray[np.int64]
    scores: dict[str, Matrix]
    folds: int
    method: str  # "time-ordered" or "cross-validated"


def backtest_predictions(
    features: pd.DataFrame,
    observations: pd.DataFrame,
    options: ChurnOptions,
    folds: int = 4,
) -> Predictions:
    """Out-of-time predictions for the later half of the observation dates, each block
    predicted by models trained only on outcomes known before it."""
    known = observations["churned"].notna().to_numpy()
    feats, obs = features[known], observations[known]
    y_all = obs["churned"].to_numpy(dtype=np.int64)
    accounts = obs["account"].to_numpy()
    _check_trainable(y_all, "backtest")
    dates = np.array(sorted(set(obs["date"])), dtype=object)
    known_at = _known_at(obs, options)
    chunks = [c for c in np.array_split(dates[len(dates) // 2 :], folds) if len(c)]
    labels: list[npt.NDArray[np.int64]] = []
    scores: dict[str, list[Matrix]] = {name: [] for name in MODELS}
    used = 0
    for chunk in chunks if len(dates) >= 4 else []:
        train_mask = (known_at <= chunk[0]).to_numpy()
        test_mask = obs["date"].isin(set(chunk)).to_numpy()
        y_train = y_all[train_mask]
        if (
            test_mask.sum() == 0
            or len(y_train) < MIN_TRAIN
            or min(y_train.sum(), len(y_train) - y_train.sum()) < MIN_CLASS
        ):
            continue
        design = Design.learn(feats[train_mask], y_train)
        x_train, x_test = design.matrix(feats[train_mask]), design.matrix(feats[test_mask])
        for name in MODELS:
            model = _fit(name, x_train, y_train, accounts[train_mask])
            scores[name].append(_predict(model, x_test))
        labels.append(y_all[test_mask])
        used += 1
    if used:
        return Predictions(
            np.concatenate(labels),
            {k: np.concatenate(v) for k, v in scores.items()},
            used,
            "time-ordered",
        )
    # One or two observation dates (a snapshot data set): no past to train on, so
    # stratified cross-validation is the honest fallback, and it says so.
    return _cross_validated(feats, y_all, accounts)


def _known_at(obs: pd.DataFrame, options: ChurnOptions) -> pd.Series:
    horizon = pd.Timedelta(days=options.lead_days + options.horizon_days)
    fallback = pd.to_datetime(obs["date"]) + horizon
    renewal = pd.to_datetime(obs["renewal_date"])
    result = renewal.where(renewal.notna(), fallback)
    return result.dt.date


def _cross_validated(
    features: pd.DataFrame, y: npt.NDArray[np.int64], accounts: npt.NDArray[Any], k: int = 5
) -> Predictions:
    """Stratified k-fold, an account's observations kept in one fold (else the model would
    be tested on accounts it trained on)."""
    k = max(2, min(k, int(y.sum()), int(len(y) - y.sum())))
    folds = StratifiedGroupKFold(k, shuffle=True, random_state=0)
    scores = {name: np.zeros(len(y)) for name in MODELS}
    for train_index, test_index in folds.split(np.zeros(len(y)), y, groups=accounts):
        design = Design.learn(features.iloc[train_index], y[train_index])
        x_train = design.matrix(features.iloc[train_index])
        x_test = design.matrix(features.iloc[test_index])
        for name in MODELS:
            model = _fit(name, x_train, y[train_index], accounts[train_index])
            scores[name][test_index] = _predict(model, x_test)
    return Predictions(y, scores, k, "cross-validated")


def evaluate(predictions: Predictions) -> list[dict[str, Any]]:
    """AUC, top-decile lift, Brier score and calibration of each model."""
    y = predictions.labels
    rows = []
    for name in MODELS:
        p = predictions.scores[name]
        rows.append(
            {
                "model": name,
                "auc": auc(y, p),
                "lift": top_lift(y, p, 0.1),
                "brier": brier(y, p),
                "observations": len(y),
                "churned": int(y.sum()),
                "churn_rate": float(y.mean()) if len(y) else None,
                "folds": predictions.folds,
                "method": predictions.method,
                "calibration": calibration(y, p),
            }
        )
    return rows


def summary_of(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The backtest rows without their calibration tables (kept with a trained model)."""
    return [{k: v for k, v in r.items() if k != "calibration"} for r in rows]
