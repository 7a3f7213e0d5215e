// The parts of the AWS SDK that backups and restores use, loaded on demand through
// loadSdk() (src/domain/backup/storage.ts). In the bundle this module is embedded compressed
// and compiled at its first use (scripts/build.mjs, ./embedded.ts): a manager that never
// backs up neither holds nor parses the SDK.
export {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
