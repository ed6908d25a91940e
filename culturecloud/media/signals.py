"""Signals other apps listen to, sent after the change has been committed.

    asset_ready(sender=MediaAsset, asset=<MediaAsset>)   processing made every output
    asset_failed(sender=MediaAsset, asset=<MediaAsset>)  processing failed: asset.error_code

Receivers run with `send_robust`: an error in one is logged and does not undo processing.
"""

from django.dispatch import Signal

asset_ready = Signal()
asset_failed = Signal()
