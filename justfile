# crosspost tasks: thin recipes over cargo, the scripts and terraform.
# Every recipe is one or two commands you can also type by hand (see docs/deploy.md).

set shell := ["bash", "-euo", "pipefail", "-c"]

# cargo-lambda and Zig live in the project virtualenv (`just lambda-tools`).
export PATH := justfile_directory() / ".venv" / "bin" + ":" + env_var("PATH")

# The Lambda crates: folder = package = binary = function key.
lambdas := "initiator devto hashnode medium opensearch"

tf := "terraform -chdir=terraform"

# List the recipes.
default:
    @just --list

# Install cargo-lambda and Zig (the cross linker) into .venv.
lambda-tools:
    test -x .venv/bin/python || python3 -m venv .venv
    command -v cargo-lambda >/dev/null || .venv/bin/pip install --quiet cargo-lambda==1.9.2 ziglang==0.17.1

# Package every Lambda crate as target/lambda/<crate>/bootstrap.zip: `just build` (arm64) or
# `just build x86_64` (`just build arch=x86_64` works too). The Lambdas are optimised for size
# (opt-level "z": zips under 4 MB, faster cold start); the CLI keeps opt-level 3.
build arch="arm64": lambda-tools
    CARGO_PROFILE_RELEASE_OPT_LEVEL=z cargo lambda build --release --{{ if trim_start_match(arch, "arch=") == "arm64" { "arm64" } else if trim_start_match(arch, "arch=") == "x86_64" { "x86-64" } else { error("arch must be arm64 or x86_64") } }} --output-format zip {{ prepend("--package=", lambdas) }}
    ls -l target/lambda/*/bootstrap.zip

# The whole test suite (Rust, moto-backed AWS paths, infrastructure checks).
test:
    scripts/test

# Only the infrastructure checks (HCL, consistency, checkov, actionlint, ASL validators).
test-infra:
    scripts/test-infra

# Benchmarks (renderers, ASL executor, Lambda cold start).
bench:
    scripts/bench

# Lambda cold start: median time to the first Runtime API poll, per function.
coldstart *args:
    scripts/coldstart/run {{ args }}

# Run the sample webhook through the local mode (dry run).
run:
    cargo run -p crosspost -- run examples/webhook.json

# Serve the webhook locally (same state machine, in-process handlers).
serve *args:
    cargo run -p crosspost -- serve {{ args }}

# Format Rust and Terraform.
fmt:
    cargo fmt --all
    {{ tf }} fmt -recursive

# Clippy with warnings as errors, and terraform validate.
lint:
    cargo clippy --workspace --all-targets -- -D warnings
    {{ tf }} init -backend=false -input=false >/dev/null
    {{ tf }} validate

# Show what a deploy would change (needs terraform/backend.tf and backend.hcl, see docs/deploy.md).
plan arch="arm64": (build arch)
    {{ tf }} init -input=false -backend-config=backend.hcl
    {{ tf }} plan -input=false -var lambda_architecture={{ trim_start_match(arch, "arch=") }}

# Build the zips, then apply (needs terraform/backend.tf and backend.hcl, see docs/deploy.md).
deploy arch="arm64": (build arch)
    {{ tf }} init -input=false -backend-config=backend.hcl
    {{ tf }} apply -input=false -var lambda_architecture={{ trim_start_match(arch, "arch=") }}

# Fuzz every target in fuzz/ for `secs` seconds each (`just fuzz 600` = 10 minutes each).
# cargo-fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP=1 allows them on stable.
fuzz secs="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    for t in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do mkdir -p fuzz/target/corpus/$t fuzz/corpus/$t && ASAN_OPTIONS=detect_leaks=0 RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/target/corpus/$t fuzz/corpus/$t -- -max_total_time={{ trim_start_match(secs, "secs=") }} -timeout=10 -rss_limit_mb=2048 -detect_leaks=0; done
