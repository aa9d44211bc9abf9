// The client import and the endpoint of an S3-compatible service (MinIO on its default port).
import { S3Client } from '@aws-sdk/client-s3'

const endpoint = 'http://127.0.0.1:9000'
const region = 'us-east-1'
