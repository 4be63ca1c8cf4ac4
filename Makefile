# The two commands that matter on a fresh machine:
#   make run    starts the server on its embedded default (127.0.0.1:8777, ./sealbox-data)
#   make test   runs every test: unit, end-to-end through aws-sdk-go-v2, the aws CLI and
#               boto3 smoke scripts, the race detector, and a short run of every fuzzer

GO ?= go

# Every fuzzer, as target:package:budget. A budget is a count of executions
# (about ten seconds each here), not a duration: a duration's deadline can
# fail a healthy fuzzer under load in Go 1.26's fuzzing coordinator
# (golang/go#75804). FUZZTIME=30s (or 1000x) overrides every budget.
FUZZERS = \
	FuzzDecrypt:./internal/keyring:250000x \
	FuzzImportToken:./internal/keyring:20000x \
	FuzzKMSRequest:./internal/server/optable:12000x \
	FuzzSSMRequest:./internal/server/optable:15000x \
	FuzzSecretsRequest:./internal/server/optable:15000x \
	FuzzLambdaRequest:./internal/server/optable:40000x \
	FuzzIAMRequest:./internal/server/optable:30000x \
	FuzzSTSRequest:./internal/server/optable:25000x \
	FuzzCloudTrailRequest:./internal/server/optable:30000x \
	FuzzPinPrincipals:./internal/server/optable:60000x \
	FuzzConsole:./internal/console:15000x \
	FuzzUnzip:./internal/lambdarun:3000x \
	FuzzRuntimeAPI:./internal/lambdarun:20000x \
	FuzzVerify:./internal/webhook:100000x \
	FuzzUnsignedEndpoints:./internal/server:15000x \
	FuzzParseAuthorization:./internal/sigv4:150000x \
	FuzzParse:./internal/iam:150000x \
	FuzzMatch:./internal/iam/internal/pattern:25000x \
	FuzzDecode:./internal/awsapi/query:80000x \
	FuzzDecode:./internal/awsapi/restjson:80000x \
	FuzzSplitBlobs:./internal/awsapi/restjson:80000x \
	FuzzDecode:./internal/awsapi/jsonvalue:200000x \
	FuzzStrictDecode:./internal/awsapi:150000x \
	FuzzParseDigest:./internal/audit:120000x \
	FuzzDecodeToken:./internal/cloudtrail:8000x \
	FuzzParseQuery:./internal/agent:35000x \
	FuzzParseECPublicKey:./internal/primitive:50000x \
	FuzzUnwrapRSAAESKeyWrap:./internal/primitive:300x \
	FuzzVerifyMatchesSDK:./internal/sigv4:15000x \
	FuzzPresignQueryMatchesParseQuery:./internal/sigv4:60000x \
	FuzzEncodeEventMatchesJSON:./internal/audit:40000x \
	FuzzUnpackBlock:./internal/audit:40000x \
	FuzzMatchesJSON:./internal/jsonenc:300000x \
	FuzzWireCodec:./internal/awsapi:3000x \
	FuzzValidRegion:./internal/awsapi:100000x \
	FuzzDecodeObjectNames:./internal/awsapi/jsonvalue:150000x \
	FuzzVerify:./internal/oidc:100000x \
	FuzzAssumeRoleWithWebIdentity:./internal/identity/stsapi:15000x \
	FuzzResolve:./internal/clientaddr:150000x

.PHONY: run build test fuzz bench bench-peers generate

run:
	$(GO) run ./cmd/sealbox server

build:
	$(GO) build -o bin/sealbox ./cmd/sealbox

test:
	@# The console's browser tests need playwright-core (the committed lockfile); without npm they skip.
	@if command -v npm >/dev/null; then (cd internal/console/e2e && npm ci --no-audit --no-fund --loglevel=error); fi
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

# fuzz builds each package's fuzzing binary once (go test -c -fuzz: the
# instrumentation does not depend on the target) and runs each of the
# package's fuzzers from it, as go test -fuzz does: in the package's folder,
# from its seeds and testdata/fuzz. A package's second fuzzer used to pay go
# test's checks and link again (6-8 s for internal/server).
#
# The binary is built with the tag fuzzbinary, which leaves out the test
# files marked //go:build !fuzzbinary: end-to-end tests that link the whole
# server and the AWS SDK (internal/agent, audit, cloudtrail, console: the
# console's fuzzer drives it over optabletest's trusting router instead). go test -fuzz
# instruments every package a test binary links, and the coverage it ships
# for each input grows with it: those packages' fuzzing binaries were as big
# as internal/server's, 40 s each to build here.
#
# The inputs a run finds go to a fuzz cache of the run's own, thrown away
# after it: go's cache ($$GOCACHE/fuzz) outlives the clone CI runs in, grows
# at every run, and is replayed whole before a fuzzer starts (FuzzWireCodec's
# had 1080 inputs to its 394 seeds: 17 s where 7.5 s do). FUZZCACHE=DIR keeps
# them in DIR (FUZZCACHE="$$(go env GOCACHE)/fuzz" is go test -fuzz's own).
FUZZCACHE ?=
fuzz:
	@set -e; bins=$$(mktemp -d); trap 'rm -rf "$$bins"' EXIT; cache="$(FUZZCACHE)"; [ -n "$$cache" ] || cache=$$bins/fuzzcache; \
	for f in $(FUZZERS); do \
		name=$${f%%:*}; rest=$${f#*:}; pkg=$${rest%%:*}; budget=$${rest#*:}; [ -z "$(FUZZTIME)" ] || budget=$(FUZZTIME); \
		bin=$$bins/$$(echo "$$pkg" | tr ./ _-).test; \
		if [ ! -x "$$bin" ]; then \
			echo "$(GO) test -c -tags fuzzbinary -fuzz '^$$name\$$' -o $$bin $$pkg"; \
			$(GO) test -c -tags fuzzbinary -fuzz "^$$name\$$" -o "$$bin" $$pkg; \
		fi; \
		importpath=$$($(GO) list $$pkg); \
		echo "$$pkg: -fuzz '^$$name\$$' -fuzztime $$budget"; \
		(cd $$pkg && "$$bin" -test.paniconexit0 -test.timeout=10m0s -test.fuzzcachedir="$$cache/$$importpath" \
			-test.run '^$$' -test.fuzz "^$$name\$$" -test.fuzztime $$budget); \
	done

# bench drives a server you started (make run) with signed requests.
bench: build
	./bin/sealbox bench --format markdown

# bench-peers measures the floor (bare net/http), sealbox and, with
# LOCAL_KMS=/path/to/local-kms, local-kms side by side, with each server's CPU
# per request (scripts/bench-peers.sh; PIN=1 pins servers and load apart).
bench-peers:
	bash scripts/bench-peers.sh

# generate refreshes the embedded service models from ../shared/spec/aws and
# the wire types generated from them (internal/*/types_gen.go).
generate:
	$(GO) generate ./internal/awsapi/model
