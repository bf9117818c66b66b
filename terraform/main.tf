################################################################################
# Names and static ARNs
#
# The initiator needs the state machine's ARN and the state machine needs the target
# functions' ARNs. Building both as strings from known values keeps the graph free of
# cycles (every function comes from one for_each module call).
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  package_dir = coalesce(var.lambda_package_dir, "${path.root}/../target/lambda")

  state_machine_name = var.name_prefix
  state_machine_arn  = "arn:${local.partition}:states:${var.aws_region}:${local.account_id}:stateMachine:${local.state_machine_name}"

  function_arns = {
    for key in keys(local.functions) :
    key => "arn:${local.partition}:lambda:${var.aws_region}:${local.account_id}:function:${var.name_prefix}-${key}"
  }

  opensearch_endpoint_env  = var.opensearch_endpoint == "" ? {} : { OPENSEARCH_ENDPOINT = var.opensearch_endpoint }
  hashnode_publication_env = var.hashnode_publication_id == "" ? {} : { HASHNODE_PUBLICATION_ID = var.hashnode_publication_id }
}

################################################################################
# Storage and secret
################################################################################

module "storage" {
  source = "./modules/storage"

  ledger_table_name        = "${var.name_prefix}-ledger"
  snapshot_bucket_name     = "${var.name_prefix}-snapshots-${local.account_id}-${var.aws_region}"
  snapshot_expiration_days = var.snapshot_expiration_days
  deletion_protection      = var.ledger_deletion_protection
}

module "secrets" {
  source = "./modules/secrets"

  name                    = var.name_prefix
  recovery_window_in_days = var.secret_recovery_window_days
}

################################################################################
# Functions: one per Lambda crate, each with its own role
################################################################################

locals {
  # Every function reads these.
  common_environment = {
    CROSSPOST_SECRET_ARN      = module.secrets.secret_arn
    CROSSPOST_LEDGER_TABLE    = module.storage.ledger_table_name
    CROSSPOST_SNAPSHOT_BUCKET = module.storage.snapshot_bucket_name
    CROSSPOST_SITE_URL        = var.site_url
    SANITY_PROJECT_ID         = var.sanity_project_id
    SANITY_DATASET            = var.sanity_dataset
    # The CA bundle of provided.al2023. Named, TLS clients read this one file; unnamed, they
    # probe the certificate folders and parse every certificate file in them, once per client:
    # most of a cold start (ARCHITECTURE.md "Cold start").
    SSL_CERT_FILE = "/etc/pki/tls/certs/ca-bundle.crt"
  }

  read_secret = {
    sid       = "ReadSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.secrets.secret_arn]
  }

  # What every target function uses: the ledger, snapshots (read only), the secret.
  target_statements = [
    {
      sid       = "Ledger"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [module.storage.ledger_table_arn]
    },
    {
      sid       = "ReadSnapshots"
      actions   = ["s3:GetObject"]
      resources = ["${module.storage.snapshot_bucket_arn}/*"]
    },
    local.read_secret,
  ]

  opensearch_statements = concat(
    var.opensearch_domain_arn == null ? [] : [{
      sid       = "OpenSearchDomain"
      actions   = ["es:ESHttpGet", "es:ESHttpPut", "es:ESHttpDelete", "es:ESHttpHead"]
      resources = ["${var.opensearch_domain_arn}/*"]
    }],
    var.opensearch_collection_arn == null ? [] : [{
      sid       = "OpenSearchServerless"
      actions   = ["aoss:APIAccessAll"]
      resources = [var.opensearch_collection_arn]
    }],
  )

  functions = {
    initiator = {
      description = "crosspost: verify the Sanity webhook and start the state machine"
      timeout     = 20
      environment = merge(local.common_environment, {
        CROSSPOST_STATE_MACHINE_ARN           = local.state_machine_arn
        CROSSPOST_TARGETS                     = join(",", var.targets)
        CROSSPOST_SIGNATURE_TOLERANCE_SECONDS = tostring(var.signature_tolerance_seconds)
      })
      policy_statements = [
        {
          sid       = "StartExecution"
          actions   = ["states:StartExecution"]
          resources = [local.state_machine_arn]
        },
        {
          sid       = "WriteSnapshots"
          actions   = ["s3:PutObject"]
          resources = ["${module.storage.snapshot_bucket_arn}/*"]
        },
        local.read_secret,
      ]
    }
    devto = {
      description       = "crosspost target: Dev.to"
      timeout           = var.target_timeout_seconds
      environment       = local.common_environment
      policy_statements = local.target_statements
    }
    hashnode = {
      description       = "crosspost target: Hashnode"
      timeout           = var.target_timeout_seconds
      environment       = merge(local.common_environment, local.hashnode_publication_env)
      policy_statements = local.target_statements
    }
    medium = {
      description = "crosspost target: Medium"
      timeout     = var.target_timeout_seconds
      environment = merge(local.common_environment, {
        MEDIUM_PUBLISH_STATUS = var.medium_publish_status
      })
      policy_statements = local.target_statements
    }
    opensearch = {
      description = "crosspost target: OpenSearch"
      timeout     = var.target_timeout_seconds
      environment = merge(local.common_environment, local.opensearch_endpoint_env, {
        OPENSEARCH_INDEX = var.opensearch_index
        OPENSEARCH_AUTH  = var.opensearch_auth
      })
      policy_statements = concat(local.target_statements, local.opensearch_statements)
    }
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  function_name         = "${var.name_prefix}-${each.key}"
  description           = each.value.description
  package_path          = "${local.package_dir}/${each.key}/bootstrap.zip"
  architecture          = var.lambda_architecture
  memory_size           = var.lambda_memory_size
  timeout               = each.value.timeout
  environment           = each.value.environment
  policy_statements     = each.value.policy_statements
  log_retention_days    = var.log_retention_days
  application_log_level = var.log_level
}

################################################################################
# State machine
################################################################################

module "state_machine" {
  source = "./modules/state_machine"

  name            = local.state_machine_name
  definition_file = "${path.root}/../asl/crosspost.asl.json"
  definition_vars = {
    devto_arn      = local.function_arns["devto"]
    hashnode_arn   = local.function_arns["hashnode"]
    medium_arn     = local.function_arns["medium"]
    opensearch_arn = local.function_arns["opensearch"]
  }
  invoke_function_arns = [
    local.function_arns["devto"],
    local.function_arns["hashnode"],
    local.function_arns["medium"],
    local.function_arns["opensearch"],
  ]
  log_level              = var.state_machine_log_level
  include_execution_data = var.state_machine_include_execution_data
  log_retention_days     = var.log_retention_days

  # The definition names the functions by static ARN; create them first.
  depends_on = [module.function]
}

################################################################################
# Webhook API
################################################################################

module "api" {
  source = "./modules/api"

  name                   = var.name_prefix
  function_name          = module.function["initiator"].function_name
  function_invoke_arn    = module.function["initiator"].invoke_arn
  throttling_burst_limit = var.api_throttling_burst_limit
  throttling_rate_limit  = var.api_throttling_rate_limit
  log_retention_days     = var.log_retention_days
}

################################################################################
# Alarms
################################################################################

module "alarms" {
  source = "./modules/alarms"

  name_prefix       = var.name_prefix
  state_machine_arn = module.state_machine.arn
  function_names    = { for k, f in module.function : k => f.function_name }
  create_topic      = var.create_alarm_topic
  sns_topic_arn     = var.alarm_sns_topic_arn
  email             = var.alarm_email
}
