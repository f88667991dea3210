"""The codes of the release train's warnings, read by the train and by lint (which applies the
lint config and inline ignores to them)."""

UNVERIFIED_PROMOTION = ("SG009", "unverified-promotion")
UNORDERED_ENVIRONMENT = ("SG011", "unordered-environment")
SERVICE_RELEASED_TWICE = ("SG012", "service-released-twice")
WARNINGS = dict((UNVERIFIED_PROMOTION, UNORDERED_ENVIRONMENT, SERVICE_RELEASED_TWICE))
