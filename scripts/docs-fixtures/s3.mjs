// The import of the Usage section.
import { createS3Storage } from '@convoy/storage-s3'
