"""Photo thumbnails: decode cheaply, orient, strip metadata, encode WebP, in worker processes."""

from sidecar.thumbs.decode import ThumbnailError
from sidecar.thumbs.render import DEFAULT_QUALITY, Thumbnail, make_thumbnail
from sidecar.thumbs.worker import ThumbnailWorker, WorkerDied

__all__ = [
    "DEFAULT_QUALITY",
    "Thumbnail",
    "ThumbnailError",
    "ThumbnailWorker",
    "WorkerDied",
    "make_thumbnail",
]
