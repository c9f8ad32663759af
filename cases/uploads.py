"""Upload checks: a document is a PDF, JPEG or PNG by its content, not by its name."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def check_upload(upload) -> tuple[str, int, str]:
    """Return (content_type, size, sha256) or raise ValidationError on the `file` field."""
    size = upload.size
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)d MB.")
                % {"mb": settings.DOCUMENT_MAX_BYTES // 2**20}
            }
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    if content_type is None:
        raise ValidationError(
            {"file": _("Only PDF, JPEG and PNG files are accepted (checked by content).")}
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, size, digest.hexdigest()
