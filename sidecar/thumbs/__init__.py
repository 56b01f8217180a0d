"""Photo thumbnails: decode cheaply, orient, strip metadata, encode WebP, in worker processes."""

from sidecar.thumbs.decode import DEFAULT_MAX_PIXELS, ThumbnailError
from sidecar.thumbs.render import DEFAULT_LONG_EDGE, DEFAULT_QUALITY, Thumbnail, make_thumbnail
from sidecar.thumbs.worker import ThumbnailWorker, WorkerDied

__all__ = [
    "DEFAULT_LONG_EDGE",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_QUALITY",
    "Thumbnail",
    "ThumbnailError",
    "ThumbnailWorker",
    "WorkerDied",
    "make_thumbnail",
]
