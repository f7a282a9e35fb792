#!/bin/sh
# One-shot set-up of MinIO for Inkwell, run by the `minio-init` service (quay.io/minio/mc image).
# Idempotent: safe on every `docker compose up`.
#
#   - the bucket S3_BUCKET, private (media is served through signed URLs or the API);
#   - a policy that allows exactly that bucket;
#   - the services' own account S3_ACCESS_KEY / S3_SECRET_KEY with that policy, so the applications
#     never hold the root credentials.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_BUCKET:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}"

policy=inkwell-app

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

mc mb --ignore-existing "local/$S3_BUCKET"
mc anonymous set none "local/$S3_BUCKET"

cat > /tmp/policy.json <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::$S3_BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                 "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::$S3_BUCKET/*"]
    }
  ]
}
JSON
# `policy create` replaces an existing policy of that name, so a changed bucket name takes effect.
mc admin policy create local "$policy" /tmp/policy.json

# `user add` on an existing user updates its secret key.
mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"

# `policy attach` fails when the policy is already attached: attach only when it is not.
case "$(mc admin user info local "$S3_ACCESS_KEY")" in
  *"$policy"*) echo "policy $policy already attached to $S3_ACCESS_KEY" ;;
  *) mc admin policy attach local "$policy" --user "$S3_ACCESS_KEY" ;;
esac

echo "MinIO ready: bucket $S3_BUCKET, account $S3_ACCESS_KEY"
