"""Private file storage: files that are only ever served through a view that checks the asker."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A local folder with no public URL. Nothing in the portal serves MEDIA_URL, and url()
    refuses, so a template can never link a proof file past its access check."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a checking view.")
