"""What an event handler raises: the consumer retries the first and records-and-skips the second."""


class HandlerError(Exception):
    """Base of handler outcomes other than success."""


class RetryableError(HandlerError):
    """A passing fault (PocketBase unreachable, a 5xx): try the event again later."""


class PermanentError(HandlerError):
    """The event cannot be handled (bad data): record it and move on."""
