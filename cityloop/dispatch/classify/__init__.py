"""Free text → event type: a character n-gram TF-IDF linear model trained on the city's corpus.

Every prediction carries a calibrated confidence, the n-grams that weighed most (its reasons)
and whether it needs manual triage (confidence below the human intervention threshold).
See docs/classification.md.
"""

from cityloop.dispatch.classify.model import DEFAULT_THRESHOLD, Classifier, Prediction
from cityloop.dispatch.classify.service import ClassifierService

__all__ = ["DEFAULT_THRESHOLD", "Classifier", "ClassifierService", "Prediction"]
