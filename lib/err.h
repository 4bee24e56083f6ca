/*
 * lib/err.h - the one table of errors s3iam can return.
 *
 * Every module returns an s3_err.  server/errors.c is the only place that turns one into
 * bytes on the wire (S3 <Error> or IAM/STS <ErrorResponse>); it reads the HTTP status, the
 * AWS error code and a default message from this table.
 *
 * Columns: symbol, HTTP status, AWS code, default message (used when the caller gives none).
 */
#ifndef S3IAM_LIB_ERR_H
#define S3IAM_LIB_ERR_H

#define S3_ERRORS(X)                                                                              \
    X(S3_OK, 200, "OK", "OK")                                                                     \
    /* --- authentication --- */                                                                 \
    X(S3E_ACCESS_DENIED, 403, "AccessDenied", "Access Denied")                                    \
    X(S3E_SIG_MISMATCH, 403, "SignatureDoesNotMatch",                                             \
      "The request signature we calculated does not match the signature you provided. "          \
      "Check your key and signing method.")                                                       \
    X(S3E_INVALID_ACCESS_KEY, 403, "InvalidAccessKeyId",                                          \
      "The AWS Access Key Id you provided does not exist in our records.")                        \
    X(S3E_TIME_SKEWED, 403, "RequestTimeTooSkewed",                                               \
      "The difference between the request time and the current time is too large.")              \
    X(S3E_EXPIRED, 403, "AccessDenied", "Request has expired")                                    \
    X(S3E_AUTH_MALFORMED, 400, "AuthorizationHeaderMalformed",                                    \
      "The authorization header is malformed.")                                                   \
    X(S3E_AUTH_QUERY_MALFORMED, 400, "AuthorizationQueryParametersError",                         \
      "Error parsing the X-Amz-Credential parameter.")                                            \
    X(S3E_CONTENT_SHA_MISMATCH, 400, "XAmzContentSHA256Mismatch",                                 \
      "The provided 'x-amz-content-sha256' header does not match what was computed.")            \
    X(S3E_INVALID_TOKEN, 400, "InvalidToken", "The provided token is malformed or otherwise invalid.") \
    X(S3E_EXPIRED_TOKEN, 400, "ExpiredToken", "The provided token has expired.")                  \
    X(S3E_MISSING_SECURITY_HEADER, 400, "MissingSecurityHeader",                                  \
      "Your request was missing a required header.")                                              \
    X(S3E_INCOMPLETE_SIGNATURE, 400, "IncompleteSignature",                                       \
      "The request signature does not conform to AWS standards.")                                 \
    /* --- request shape --- */                                                                  \
    X(S3E_INVALID_ARGUMENT, 400, "InvalidArgument", "Invalid Argument")                           \
    X(S3E_INVALID_REQUEST, 400, "InvalidRequest", "Invalid Request")                              \
    X(S3E_MALFORMED_XML, 400, "MalformedXML",                                                     \
      "The XML you provided was not well-formed or did not validate against our published schema.") \
    X(S3E_INVALID_BUCKET_NAME, 400, "InvalidBucketName", "The specified bucket is not valid.")    \
    X(S3E_KEY_TOO_LONG, 400, "KeyTooLongError", "Your key is too long")                           \
    X(S3E_INVALID_DIGEST, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.")     \
    X(S3E_BAD_DIGEST, 400, "BadDigest",                                                           \
      "The Content-MD5 you specified did not match what we received.")                            \
    X(S3E_CHECKSUM_MISMATCH, 400, "BadDigest",                                                    \
      "The checksum you specified did not match the calculated checksum.")                        \
    X(S3E_INVALID_CHUNK, 400, "InvalidChunkSizeError",                                            \
      "Only the last chunk is allowed to have a size less than 8192 bytes")                       \
    X(S3E_INCOMPLETE_BODY, 400, "IncompleteBody",                                                 \
      "You did not provide the number of bytes specified by the Content-Length HTTP header.")     \
    X(S3E_MISSING_CONTENT_LENGTH, 411, "MissingContentLength",                                    \
      "You must provide the Content-Length HTTP header.")                                         \
    X(S3E_ENTITY_TOO_LARGE, 400, "EntityTooLarge",                                                \
      "Your proposed upload exceeds the maximum allowed size.")                                   \
    X(S3E_ENTITY_TOO_SMALL, 400, "EntityTooSmall",                                                \
      "Your proposed upload is smaller than the minimum allowed object size.")                    \
    X(S3E_XML_TOO_LARGE, 400, "MaxMessageLengthExceeded", "Your request was too big.")            \
    X(S3E_INVALID_RANGE, 416, "InvalidRange", "The requested range is not satisfiable")           \
    X(S3E_INVALID_PART, 400, "InvalidPart",                                                       \
      "One or more of the specified parts could not be found. The part may not have been "        \
      "uploaded, or the specified entity tag may not match the part's entity tag.")               \
    X(S3E_INVALID_PART_ORDER, 400, "InvalidPartOrder",                                            \
      "The list of parts was not in ascending order. Parts must be ordered by part number.")      \
    X(S3E_INVALID_TAG, 400, "InvalidTag", "The tag provided was not a valid tag.")                \
    X(S3E_BAD_REQUEST, 400, "BadRequest", "Bad Request")                                          \
    X(S3E_INVALID_STORAGE_CLASS, 400, "InvalidStorageClass",                                      \
      "The storage class you specified is not valid")                                             \
    X(S3E_INVALID_LOCATION, 400, "InvalidLocationConstraint",                                     \
      "The specified location-constraint is not valid")                                           \
    X(S3E_ILLEGAL_LOCATION, 400, "IllegalLocationConstraintException",                            \
      "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.") \
    X(S3E_ACL_NOT_SUPPORTED, 400, "AccessControlListNotSupported",                                \
      "The bucket does not allow ACLs")                                                           \
    X(S3E_BUCKET_ACL_OWNERSHIP, 400, "InvalidBucketAclWithObjectOwnership",                      \
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")           \
    X(S3E_ILLEGAL_VERSIONING, 400, "IllegalVersioningConfigurationException",                     \
      "The Versioning element must be specified")                                                 \
    X(S3E_INVALID_URI, 400, "InvalidURI", "Couldn't parse the specified URI.")                    \
    X(S3E_MALFORMED_POLICY, 400, "MalformedPolicy", "Policy has invalid resource")                \
    X(S3E_INVALID_ENCRYPTION, 400, "InvalidEncryptionAlgorithmError",                             \
      "The encryption request you specified is not valid. The valid value is AES256.")            \
    X(S3E_EXPECTATION_FAILED, 417, "ExpectationFailed", "Expectation Failed")                     \
    /* --- state --- */                                                                          \
    X(S3E_NO_SUCH_BUCKET, 404, "NoSuchBucket", "The specified bucket does not exist")             \
    X(S3E_NO_SUCH_KEY, 404, "NoSuchKey", "The specified key does not exist.")                     \
    X(S3E_NO_SUCH_VERSION, 404, "NoSuchVersion",                                                  \
      "The specified version does not exist.")                                                    \
    X(S3E_NO_SUCH_UPLOAD, 404, "NoSuchUpload",                                                    \
      "The specified multipart upload does not exist. The upload ID might be invalid, or the "    \
      "multipart upload might have been aborted or completed.")                                   \
    X(S3E_NO_SUCH_TAG_SET, 404, "NoSuchTagSet", "The TagSet does not exist")                      \
    X(S3E_NO_SUCH_BUCKET_POLICY, 404, "NoSuchBucketPolicy", "The bucket policy does not exist")  \
    X(S3E_NO_SUCH_ENCRYPTION, 404, "ServerSideEncryptionConfigurationNotFoundError",              \
      "The server side encryption configuration was not found")                                   \
    X(S3E_NO_SUCH_PAB, 404, "NoSuchPublicAccessBlockConfiguration",                               \
      "The public access block configuration was not found")                                      \
    X(S3E_NO_SUCH_ACCESS_POINT, 404, "NoSuchAccessPoint",                                         \
      "The specified accesspoint does not exist")                                                 \
    X(S3E_NO_SUCH_AP_POLICY, 404, "NoSuchAccessPointPolicy",                                      \
      "The specified accesspoint policy does not exist")                                          \
    X(S3E_BUCKET_EXISTS, 409, "BucketAlreadyExists",                                              \
      "The requested bucket name is not available.")                                              \
    X(S3E_BUCKET_OWNED, 409, "BucketAlreadyOwnedByYou",                                           \
      "Your previous request to create the named bucket succeeded and you already own it.")       \
    X(S3E_BUCKET_NOT_EMPTY, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty") \
    X(S3E_AP_EXISTS, 409, "AccessPointAlreadyOwnedByYou",                                         \
      "Your previous request to create the named accesspoint succeeded and you already own it.")  \
    X(S3E_PRECONDITION_FAILED, 412, "PreconditionFailed",                                         \
      "At least one of the pre-conditions you specified did not hold")                            \
    X(S3E_NOT_MODIFIED, 304, "NotModified", "Not Modified")                                       \
    X(S3E_METHOD_NOT_ALLOWED, 405, "MethodNotAllowed",                                            \
      "The specified method is not allowed against this resource.")                               \
    X(S3E_NOT_IMPLEMENTED, 501, "NotImplemented",                                                 \
      "A header or query you provided implies functionality that is not implemented.")            \
    X(S3E_INTERNAL, 500, "InternalError",                                                         \
      "We encountered an internal error. Please try again.")                                      \
    X(S3E_SLOW_DOWN, 503, "SlowDown", "Please reduce your request rate.")                         \
    X(S3E_NOMEM, 500, "InternalError", "Out of memory.")                                          \
    X(S3E_TOO_LARGE, 400, "InvalidArgument", "A value exceeds its size limit.")                   \
    /* --- IAM / STS (query protocol) --- */                                                     \
    X(S3E_IAM_NO_SUCH_ENTITY, 404, "NoSuchEntity", "The request was rejected because it referenced a resource entity that does not exist.") \
    X(S3E_IAM_ENTITY_EXISTS, 409, "EntityAlreadyExists", "The request was rejected because it attempted to create a resource that already exists.") \
    X(S3E_IAM_DELETE_CONFLICT, 409, "DeleteConflict", "The request was rejected because it attempted to delete a resource that has attached subordinate entities.") \
    X(S3E_IAM_LIMIT_EXCEEDED, 409, "LimitExceeded", "The request was rejected because it attempted to create resources beyond the current AWS account limits.") \
    X(S3E_IAM_MALFORMED_POLICY, 400, "MalformedPolicyDocument", "Syntax errors in policy.")       \
    X(S3E_IAM_INVALID_INPUT, 400, "InvalidInput", "The request was rejected because an invalid or out-of-range value was supplied for an input parameter.") \
    X(S3E_IAM_VALIDATION, 400, "ValidationError", "1 validation error detected.")                 \
    X(S3E_IAM_INVALID_ACTION, 400, "InvalidAction", "The action or operation requested is invalid. Verify that the action is typed correctly.") \
    X(S3E_IAM_MISSING_ACTION, 400, "MissingAction", "The request is missing an action or a required parameter.") \
    X(S3E_IAM_MISSING_PARAMETER, 400, "MissingParameter", "A required parameter for the specified action is not supplied.") \
    X(S3E_IAM_INVALID_CLIENT_TOKEN, 403, "InvalidClientTokenId", "The security token included in the request is invalid.") \
    X(S3E_IAM_UNMODIFIABLE, 400, "UnmodifiableEntity", "The request was rejected because it referenced an entity that is not valid for the operation.") \
    X(S3E_IAM_POLICY_EVAL, 500, "PolicyEvaluation", "The request failed because of an error in policy evaluation.") \
    X(S3E_STS_REGION_DISABLED, 403, "RegionDisabledException", "STS is not activated in the requested region.") \
    X(S3E_IAM_PASSWORD_POLICY, 400, "PasswordPolicyViolation", "The provided password does not meet the account password policy.") \
    X(S3E_STS_PACKED_POLICY_TOO_LARGE, 400, "PackedPolicyTooLarge", "The request was rejected because the total packed size of the session policies and session tags combined was too large.")

typedef enum {
#define S3_ERR_ENUM_(sym, status, code, msg) sym,
    S3_ERRORS(S3_ERR_ENUM_)
#undef S3_ERR_ENUM_
    S3E__COUNT
} s3_err;

/* HTTP status for e (500 for an out-of-range value). */
int err_status(s3_err e);
/* AWS error code, e.g. "NoSuchKey".  Static string. */
const char *err_code(s3_err e);
/* Default human message.  Static string. */
const char *err_message(s3_err e);
/* The enum symbol as text ("S3E_NO_SUCH_KEY"), for logs and test failures. */
const char *err_name(s3_err e);

#endif
