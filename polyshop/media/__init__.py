"""Product media: image bytes in a blob store (files or S3), renditions, serving."""
