"""The price table the cost model uses: AWS on-demand list prices, us-east-1, USD, as the AWS
pricing pages gave them when this table was written (AWS Glue pricing, AWS CodeBuild pricing,
AWS Step Functions pricing, Amazon Redshift pricing (Serverless), AWS PrivateLink pricing,
Amazon VPC pricing (NAT gateway), AWS KMS pricing, AWS Secrets Manager pricing, Amazon
CloudWatch pricing, Amazon QuickSight pricing, Amazon SQS pricing). Other regions cost more
or less; data transfer and storage are left out (small for this pipeline). Update the numbers
here, nowhere else.
"""

from __future__ import annotations

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30

GLUE_DPU_HOUR = {"STANDARD": 0.44, "FLEX": 0.29}
GLUE_MINIMUM_SECONDS = 60  # Glue 2.0 and later bill per second with a 1-minute minimum
GLUE_DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8}
CRAWLER_DPU_HOUR = 0.44
CRAWLER_MINIMUM_SECONDS = 600  # crawlers bill a 10-minute minimum per run
CRAWLER_DPUS = 2  # not set by the user; the DPUs a small S3 crawl is billed for (assumed)
CODEBUILD_MINUTE = {"BUILD_GENERAL1_SMALL": 0.005, "BUILD_GENERAL1_MEDIUM": 0.01}
STATE_TRANSITION = 0.025 / 1000  # Standard workflows
REDSHIFT_RPU_HOUR = 0.375
REDSHIFT_MINIMUM_SECONDS = 60
INTERFACE_ENDPOINT_AZ_HOUR = 0.01
NAT_GATEWAY_HOUR = 0.045
KMS_KEY_MONTH = 1.00
KMS_REQUEST = 0.03 / 10_000  # symmetric-key requests (an SSE-KMS queue's data keys)
SQS_REQUEST = 0.40 / 1_000_000  # standard queue, per request (after the monthly free tier)
SECRET_MONTH = 0.40
ALARM_MONTH = 0.10
# Amazon QuickSight (Enterprise, month-to-month): per user; the dashboards stack only.
QUICKSIGHT_AUTHOR_MONTH = 24.00
QUICKSIGHT_READER_MONTH = 3.00
