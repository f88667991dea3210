"""The codes of the release train's warnings, read by the train and by lint (which applies the
lint config and inline ignores to them)."""

UNVERIFIED_PROMOTION = ("SG009", "unverified-promotion")
UNORDERED_ENVIRONMENT = ("SG011", "unordered-environment")
WARNINGS = dict((UNVERIFIED_PROMOTION, UNORDERED_ENVIRONMENT))
