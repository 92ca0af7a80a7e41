"""The dashboard as Amazon QuickSight resources: cloudformation/dashboards.yaml, generated from
the definition (`make dashboard-template`; tests/dashboard checks the committed file is what
this module writes, and cfn-lint checks it against the CloudFormation resource schemas).

What AWS documents and this follows (Amazon QuickSight User Guide and API Reference):
- "Configuring the VPC connection in Amazon QuickSight": QuickSight reaches a private
  Redshift Serverless workgroup through a VPC connection (subnets, a security group, and a
  role QuickSight assumes to create its network interfaces there).
- "Creating or updating a data source with secret credentials using the QuickSight API": the
  data source logs in with a Secrets Manager secret's username and password; an administrator
  first lets QuickSight read that secret ("Granting QuickSight read-only access to Secrets
  Manager"). The secret is the warehouse stack's `dashboard_reader` (bootstrap B002: SELECT
  on the marts only).
- "Using custom SQL to query data" (datasets as custom SQL, DIRECT_QUERY: no SPICE import)
  and the Dashboard definition's visuals (BarChartVisual, LineChartVisual, TableVisual).
Nothing here runs against QuickSight: this machine has no QuickSight.

Every page, pipeline health included, reads the marts: the job records its runs and its
day's checks in the warehouse (staging.load_runs, modelled by mart_pipeline_health and
mart_pipeline_rejects; staging.day_checks, by mart_day_checks).
"""

from __future__ import annotations

from typing import Any

import yaml

from tools.dashboard.definition import Dataset, Definition, Measure, Visual

REDSHIFT_PORT = 5439
# What a principal may do with a dashboard it views ("Granting individual Amazon QuickSight
# users and groups access to a dashboard in Amazon QuickSight").
VIEWER_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
]
QUICKSIGHT_TYPE = {"date": "DATETIME", "text": "STRING", "integer": "INTEGER", "decimal": "DECIMAL"}
VIEWER_PATTERN = "^arn:[-a-z0-9]*:quicksight:[-a-z0-9]*:[0-9]{12}:(user|group)/.+$"
AGGREGATION = {"sum": "SUM", "average": "AVERAGE", "min": "MIN", "max": "MAX", "count": "COUNT"}


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def _import(name: str) -> dict:
    return {"Fn::ImportValue": _sub(f"${{Project}}-${{EnvName}}-{name}")}


def _logical(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("_"))


def _dataset_resource(dataset: Dataset, marts_schema: str) -> dict:
    columns = [{"Name": n, "Type": QUICKSIGHT_TYPE[t]} for n, t in dataset.columns.items()]
    return {
        "Type": "AWS::QuickSight::DataSet",
        "Properties": {
            "AwsAccountId": {"Ref": "AWS::AccountId"},
            "DataSetId": _sub(f"${{Project}}-${{EnvName}}-{dataset.id}"),
            "Name": dataset.title,
            "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {
                dataset.id.replace("_", "-"): {
                    "CustomSql": {
                        "DataSourceArn": {"Fn::GetAtt": ["DataSource", "Arn"]},
                        "Name": dataset.id,
                        "SqlQuery": dataset.query(marts_schema).strip(),
                        "Columns": columns,
                    }
                }
            },
            "Permissions": [
                {
                    "Principal": {"Ref": "DashboardViewerArn"},
                    "Actions": ["quicksight:DescribeDataSet", "quicksight:QueryDataSet"],
                }
            ],
        },
    }


def _column(dataset: str, name: str) -> dict:
    return {"DataSetIdentifier": dataset, "ColumnName": name}


def _dimension(visual: Visual, dataset: Dataset, field: str) -> dict:
    column = _column(dataset.id, field)
    field_id = f"{visual.id}.{field}"
    if dataset.columns[field] == "date":
        return {
            "DateDimensionField": {"FieldId": field_id, "Column": column, "DateGranularity": "DAY"}
        }
    return {"CategoricalDimensionField": {"FieldId": field_id, "Column": column}}


def _measure(visual: Visual, dataset: Dataset, measure: Measure) -> dict:
    field_id = f"{visual.id}.{measure.name}"
    if measure.ratio:
        num, den = measure.ratio
        return {
            "CalculatedMeasureField": {
                "FieldId": field_id,
                "Expression": f"sum({{{num}}}) / sum({{{den}}})",
            }
        }
    return {
        "NumericalMeasureField": {
            "FieldId": field_id,
            "Column": _column(dataset.id, measure.field or ""),
            "AggregationFunction": {
                "SimpleNumericalAggregation": AGGREGATION[measure.aggregate or "sum"]
            },
        }
    }


def _title(visual: Visual) -> dict:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": visual.title}}


def _chart(visual: Visual, dataset: Dataset) -> dict:
    assert visual.x is not None
    category = [_dimension(visual, dataset, visual.x.field)]
    colors = [_dimension(visual, dataset, visual.color.field)] if visual.color else []
    values = [_measure(visual, dataset, m) for m in visual.measures]
    if visual.kind == "bar":
        wells = {
            "BarChartAggregatedFieldWells": {
                "Category": category,
                "Values": values,
                "Colors": colors,
            }
        }
        configuration: dict[str, Any] = {"FieldWells": wells, "Orientation": "VERTICAL"}
        if visual.top:
            configuration["SortConfiguration"] = {
                "CategorySort": [
                    {
                        "FieldSort": {
                            "FieldId": f"{visual.id}.{visual.measures[0].name}",
                            "Direction": "DESC",
                        }
                    }
                ],
                "CategoryItemsLimit": {"ItemsLimit": visual.top, "OtherCategories": "EXCLUDE"},
            }
        return {
            "BarChartVisual": {
                "VisualId": visual.id,
                "Title": _title(visual),
                "ChartConfiguration": configuration,
            }
        }
    wells = {
        "LineChartAggregatedFieldWells": {"Category": category, "Values": values, "Colors": colors}
    }
    return {
        "LineChartVisual": {
            "VisualId": visual.id,
            "Title": _title(visual),
            "ChartConfiguration": {"FieldWells": wells},
        }
    }


def _table(visual: Visual, dataset: Dataset) -> dict:
    group_by = [_dimension(visual, dataset, c) for c in visual.columns]
    configuration: dict[str, Any] = {
        "FieldWells": {
            "TableUnaggregatedFieldWells": {
                "Values": [
                    {"FieldId": f"{visual.id}.{c}", "Column": _column(dataset.id, c)}
                    for c in visual.columns
                ]
            }
        }
    }
    del group_by
    if visual.sort:
        field, order = visual.sort
        configuration["SortConfiguration"] = {
            "RowSort": [
                {
                    "FieldSort": {
                        "FieldId": f"{visual.id}.{field}",
                        "Direction": "DESC" if order == "descending" else "ASC",
                    }
                }
            ]
        }
    return {
        "TableVisual": {
            "VisualId": visual.id,
            "Title": _title(visual),
            "ChartConfiguration": configuration,
        }
    }


def _filter_groups(definition: Definition, datasets: list[Dataset]) -> list[dict]:
    """Each definition filter, on every dataset that has its field, across all sheets."""
    groups = []
    for flt in definition.filters:
        for dataset in datasets:
            if flt.field not in dataset.columns:
                continue
            filter_id = f"{flt.id}-{dataset.id}".replace("_", "-")
            column = _column(dataset.id, flt.field)
            if flt.kind == "date_range":
                body = {
                    "TimeRangeFilter": {
                        "FilterId": filter_id,
                        "Column": column,
                        "NullOption": "NON_NULLS_ONLY",
                        "TimeGranularity": "DAY",
                    }
                }
            else:
                body = {
                    "CategoryFilter": {
                        "FilterId": filter_id,
                        "Column": column,
                        "Configuration": {
                            "FilterListConfiguration": {
                                "MatchOperator": "CONTAINS",
                                "SelectAllOptions": "FILTER_ALL_VALUES",
                            }
                        },
                    }
                }
            groups.append(
                {
                    "FilterGroupId": filter_id,
                    "Filters": [body],
                    "CrossDataset": "SINGLE_DATASET",
                    "Status": "ENABLED",
                    "ScopeConfiguration": {"AllSheets": {}},
                }
            )
    return groups


def dashboard_definition(definition: Definition) -> tuple[dict, list[Dataset]]:
    """QuickSight's dashboard Definition: a sheet per page, a data set per dataset."""
    datasets = list(definition.datasets.values())
    sheets = []
    for page in definition.pages:
        visuals = page.visuals
        sheets.append(
            {
                "SheetId": page.id.replace("_", "-"),
                "Name": page.title,
                "Visuals": [
                    _table(v, definition.datasets[v.dataset])
                    if v.kind == "table"
                    else _chart(v, definition.datasets[v.dataset])
                    for v in visuals
                ],
            }
        )
    body = {
        "DataSetIdentifierDeclarations": [
            {"Identifier": d.id, "DataSetArn": {"Fn::GetAtt": [f"DataSet{_logical(d.id)}", "Arn"]}}
            for d in datasets
        ],
        "Sheets": sheets,
        "FilterGroups": _filter_groups(definition, datasets),
    }
    return body, datasets


def _ec2_arn(resource: str) -> dict:
    return _sub(f"arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def _vpc_role_policy() -> dict:
    """What QuickSight does as the VPC connection's role ("Configuring the VPC connection with
    the QuickSight CLI", Amazon QuickSight User Guide: ec2:CreateNetworkInterface,
    ModifyNetworkInterfaceAttribute, DeleteNetworkInterface, DescribeSubnets,
    DescribeSecurityGroups), as narrow as EC2 authorizes: network interfaces and subnets in the
    pipeline's VPC only (ec2:Vpc), the QuickSight security group only; the two Describe calls
    take no resource ("Actions, resources, and condition keys for Amazon EC2"). make check-iam
    proves QuickSight's calls pass it and the workload boundary."""
    vpc_arn = {
        "Fn::Sub": [
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${VpcId}",
            {"VpcId": _import("VpcId")},
        ]
    }
    group_arn = {
        "Fn::Sub": [
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${GroupId}",
            {"GroupId": {"Fn::GetAtt": ["QuickSightSecurityGroup", "GroupId"]}},
        ]
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": ["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
                "Resource": "*",
            },
            {
                "Sid": "NetworkInterfacesInTheVpc",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateNetworkInterface",
                    "ec2:ModifyNetworkInterfaceAttribute",
                    "ec2:DeleteNetworkInterface",
                ],
                "Resource": [_ec2_arn("network-interface/*"), _ec2_arn("subnet/*")],
                "Condition": {"StringEquals": {"ec2:Vpc": vpc_arn}},
            },
            {
                "Sid": "TheQuickSightGroup",
                "Effect": "Allow",
                "Action": ["ec2:CreateNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
                "Resource": group_arn,
            },
        ],
    }


def template(definition: Definition, marts_schema: str = "analytics_marts") -> dict:
    body, datasets = dashboard_definition(definition)
    resources: dict[str, Any] = {
        "QuickSightVpcRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "PermissionsBoundary": _sub(
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/"
                    "${Project}-${EnvName}-workload-boundary"
                ),
                "Description": "Assumed by QuickSight for its network interfaces in the subnets",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "quicksight.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "vpc-connection-interfaces",
                        "PolicyDocument": _vpc_role_policy(),
                    }
                ],
            },
        },
        "QuickSightSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "QuickSight VPC connection; reaches the warehouse only",
                "VpcId": _import("VpcId"),
                "SecurityGroupEgress": [
                    {
                        "Description": "Redshift Serverless workgroup",
                        "IpProtocol": "tcp",
                        "FromPort": REDSHIFT_PORT,
                        "ToPort": REDSHIFT_PORT,
                        "DestinationSecurityGroupId": _import("WarehouseSecurityGroupId"),
                    }
                ],
                "Tags": [{"Key": "Name", "Value": _sub("${Project}-${EnvName}-quicksight")}],
            },
        },
        "WarehouseFromQuickSight": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "Description": "Redshift from QuickSight's VPC connection",
                "GroupId": _import("WarehouseSecurityGroupId"),
                "IpProtocol": "tcp",
                "FromPort": REDSHIFT_PORT,
                "ToPort": REDSHIFT_PORT,
                "SourceSecurityGroupId": {"Fn::GetAtt": ["QuickSightSecurityGroup", "GroupId"]},
            },
        },
        "VpcConnection": {
            "Type": "AWS::QuickSight::VPCConnection",
            "Properties": {
                "AwsAccountId": {"Ref": "AWS::AccountId"},
                "VPCConnectionId": _sub("${Project}-${EnvName}-warehouse"),
                "Name": _sub("${Project}-${EnvName} warehouse"),
                "RoleArn": {"Fn::GetAtt": ["QuickSightVpcRole", "Arn"]},
                "SecurityGroupIds": [{"Ref": "QuickSightSecurityGroup"}],
                "SubnetIds": {"Fn::Split": [",", _import("PrivateSubnetIds")]},
            },
        },
        "DataSource": {
            "Type": "AWS::QuickSight::DataSource",
            "DependsOn": "WarehouseFromQuickSight",
            "Properties": {
                "AwsAccountId": {"Ref": "AWS::AccountId"},
                "DataSourceId": _sub("${Project}-${EnvName}-warehouse"),
                "Name": _sub("${Project}-${EnvName} warehouse (marts, read-only)"),
                "Type": "REDSHIFT",
                "DataSourceParameters": {
                    "RedshiftParameters": {
                        "Host": _import("WarehouseHost"),
                        "Port": REDSHIFT_PORT,
                        "Database": _import("DatabaseName"),
                    }
                },
                "Credentials": {"SecretArn": _import("DashboardReaderSecretArn")},
                "VpcConnectionProperties": {
                    "VpcConnectionArn": {"Fn::GetAtt": ["VpcConnection", "Arn"]}
                },
                "SslProperties": {"DisableSsl": False},
            },
        },
    }
    for dataset in datasets:
        resources[f"DataSet{_logical(dataset.id)}"] = _dataset_resource(dataset, marts_schema)
    resources["Dashboard"] = {
        "Type": "AWS::QuickSight::Dashboard",
        "Properties": {
            "AwsAccountId": {"Ref": "AWS::AccountId"},
            "DashboardId": _sub(f"${{Project}}-${{EnvName}}-{definition.name}"),
            "Name": definition.title,
            "Definition": body,
            "Permissions": [
                {"Principal": {"Ref": "DashboardViewerArn"}, "Actions": VIEWER_ACTIONS}
            ],
            "DashboardPublishOptions": {"AdHocFilteringOption": {"AvailabilityStatus": "ENABLED"}},
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"Flightline dashboards (opt-in): Amazon QuickSight '{definition.title}' on the "
            "warehouse's marts. GENERATED from dashboards/ by `make dashboard-template`."
        ),
        "Parameters": {
            "Project": {
                "Type": "String",
                "Default": "flightline",
                "AllowedPattern": "^[a-z][a-z0-9-]{1,10}$",
            },
            "EnvName": {"Type": "String", "AllowedPattern": "^[a-z][a-z0-9]{1,6}$"},
            "DashboardViewerArn": {
                "Type": "String",
                "Description": "QuickSight user or group ARN the dashboard is shared with",
                "AllowedPattern": VIEWER_PATTERN,
            },
        },
        "Resources": resources,
        "Outputs": {
            "DashboardId": {"Value": {"Ref": "Dashboard"}},
            "DataSourceArn": {"Value": {"Fn::GetAtt": ["DataSource", "Arn"]}},
        },
    }


def template_text(definition: Definition) -> str:
    header = (
        "# GENERATED from dashboards/flightline.yaml by `make dashboard-template`\n"
        "# (tools/dashboard/quicksight.py); tests/dashboard fails when it is stale.\n"
    )
    return header + yaml.safe_dump(template(definition), sort_keys=False, width=100)
