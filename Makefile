# The two commands that matter on a fresh machine:
#   make run    starts the server on its embedded default (127.0.0.1:8777, ./sealbox-data)
#   make test   runs every test: unit, end-to-end through aws-sdk-go-v2, the aws CLI and
#               boto3 smoke scripts, the race detector, and a short run of every fuzzer

GO ?= go
FUZZTIME ?= 10s

.PHONY: run build test fuzz bench generate

run:
	$(GO) run ./cmd/sealbox server

build:
	$(GO) build -o bin/sealbox ./cmd/sealbox

test:
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecrypt$$' -fuzztime $(FUZZTIME) ./internal/keyring
	$(GO) test -run '^$$' -fuzz '^FuzzKMSRequest$$' -fuzztime $(FUZZTIME) ./internal/server
	$(GO) test -run '^$$' -fuzz '^FuzzSSMRequest$$' -fuzztime $(FUZZTIME) ./internal/server
	$(GO) test -run '^$$' -fuzz '^FuzzSecretsRequest$$' -fuzztime $(FUZZTIME) ./internal/server
	$(GO) test -run '^$$' -fuzz '^FuzzLambdaRequest$$' -fuzztime $(FUZZTIME) ./internal/server
	$(GO) test -run '^$$' -fuzz '^FuzzParseAuthorization$$' -fuzztime $(FUZZTIME) ./internal/sigv4
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/iam
	$(GO) test -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME) ./internal/iam/internal/pattern
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/awsapi/query
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/awsapi/restjson
	$(GO) test -run '^$$' -fuzz '^FuzzParseQuery$$' -fuzztime $(FUZZTIME) ./internal/agent

# bench drives a server you started (make run) with signed requests.
bench: build
	./bin/sealbox bench --format markdown

# generate refreshes the embedded service models from ../shared/spec/aws.
generate:
	$(GO) generate ./internal/awsapi/model
