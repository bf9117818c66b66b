output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify, or null."
  value       = local.topic_arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    [aws_cloudwatch_metric_alarm.executions_failed.alarm_name, aws_cloudwatch_metric_alarm.executions_timed_out.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.lambda_errors : a.alarm_name],
  )
}
