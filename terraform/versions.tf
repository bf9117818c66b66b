# Root module: pins Terraform and the AWS provider. Modules state lower bounds only.
terraform {
  # 1.11 made S3-native state locking (`use_lockfile`) generally available.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "crosspost" }, var.tags)
  }
}
