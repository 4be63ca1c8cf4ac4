# Sourced by the aws CLI scripts: finds the CLI as $AWS and sets the
# environment every script needs. $SCRIPT names the caller in messages.
: "${SEALBOX_ENDPOINT:?set SEALBOX_ENDPOINT, e.g. http://127.0.0.1:8777}"
AWS=${AWS_CLI:-$(command -v aws || true)}
[ -n "$AWS" ] || { echo "$SCRIPT: the aws CLI is not on PATH (or set AWS_CLI)" >&2; exit 1; }
# A pyenv shim costs about half a second per call on top of the CLI's own
# start-up; call the real script behind it.
case "$AWS" in
*/.pyenv/shims/*) AWS=$(pyenv which aws 2>/dev/null) || AWS=aws ;;
esac
command -v base64 >/dev/null || { echo "$SCRIPT: base64 is not on PATH" >&2; exit 1; }

# aws CLI v1 ignores AWS_REGION and wants AWS_DEFAULT_REGION.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"
export AWS_PAGER=""
