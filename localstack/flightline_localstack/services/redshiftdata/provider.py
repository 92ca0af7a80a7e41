"""The Redshift Data API for LocalStack community, on the local PostgreSQL.

ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult,
ListStatements and CancelStatement are ours; every other operation goes to moto (which
only fakes results). Statements run asynchronously (`executor`) with Redshift's rules
(`redshift_sql`, `copy_from_s3`) as the caller's database user (`identity`) on the database
of a registered workgroup (`workgroups`); the state is in `models`.
"""

from __future__ import annotations

import uuid

from localstack.aws.api import RequestContext, handler
from localstack.services.plugins import Service, aws_provider
from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

from flightline_localstack.dispatch import aws_error, full_moto_dispatch_table
from flightline_localstack.services.redshiftdata import executor, workgroups
from flightline_localstack.services.redshiftdata.identity import IdentityError, login_for
from flightline_localstack.services.redshiftdata.models import (
    ABORTED,
    FINISHED,
    STATEMENTS_LOCK,
    RedshiftDataStore,
    Statement,
    SubStatement,
    redshiftdata_stores,
)


def _store(context: RequestContext) -> RedshiftDataStore:
    return redshiftdata_stores[context.account_id][context.region]


def _validation(message: str):
    return aws_error("ValidationException", message)


def _not_found(statement_id: str):
    return aws_error("ResourceNotFoundException", f"Query does not exist: {statement_id}")


class RedshiftDataProvider:
    service = "redshift-data"

    def _submit(self, context: RequestContext, request: dict, sqls: list[str], batch: bool):
        if request.get("ClusterIdentifier") or not request.get("WorkgroupName"):
            # Provisioned clusters are not emulated: the pipeline uses Redshift Serverless.
            raise _validation("the local emulator serves Redshift Serverless workgroups only")
        if not request.get("Database"):
            raise _validation("Database is required")
        try:
            workgroup = workgroups.workgroup(
                context.account_id, context.region, request["WorkgroupName"]
            )
            access_key = extract_access_key_id_from_auth_header(context.request.headers)
            login = login_for(request, workgroup, access_key)
        except workgroups.UnknownWorkgroup as error:
            raise _validation(str(error)) from error
        except IdentityError as error:
            raise _validation(str(error)) from error
        statement_id = str(uuid.uuid4())
        subs = [
            SubStatement(f"{statement_id}:{n}" if batch else statement_id, sql)
            for n, sql in enumerate(sqls, start=1)
        ]
        statement = Statement(
            id=statement_id, workgroup=workgroup.name, database=request["Database"], subs=subs,
            is_batch=batch, secret_arn=request.get("SecretArn"), db_user=login.shown_as,
        )  # fmt: skip
        _store(context).statements[statement_id] = statement
        response = {
            "Id": statement_id,
            "CreatedAt": statement.created_at,
            "WorkgroupName": workgroup.name,
            "Database": statement.database,
        }
        if statement.secret_arn:
            response["SecretArn"] = statement.secret_arn
        executor.start(statement, workgroup, login)
        return response

    @handler("ExecuteStatement", expand=False)
    def execute_statement(self, context: RequestContext, request: dict) -> dict:
        if (
            request.get("Parameters")
            or request.get("SessionId")
            or request.get("SessionKeepAliveSeconds")
        ):
            raise _validation("the local emulator takes no Parameters or sessions")
        return self._submit(context, request, [request["Sql"]], batch=False)

    @handler("BatchExecuteStatement", expand=False)
    def batch_execute_statement(self, context: RequestContext, request: dict) -> dict:
        if request.get("SessionId") or request.get("SessionKeepAliveSeconds"):
            raise _validation("the local emulator takes no sessions")
        if request.get("ResultFormat") == "CSV":
            raise _validation("the local emulator returns JSON results only")
        return self._submit(context, request, list(request["Sqls"]), batch=True)

    @handler("DescribeStatement", expand=False)
    def describe_statement(self, context: RequestContext, request: dict) -> dict:
        found = _store(context).find(request["Id"])
        if found is None or (found[1] is None and ":" in request["Id"]):
            raise _not_found(request["Id"])
        with STATEMENTS_LOCK:
            return found[0].as_dict()

    @handler("GetStatementResult", expand=False)
    def get_statement_result(self, context: RequestContext, request: dict) -> dict:
        found = _store(context).find(request["Id"])
        if found is None:
            raise _not_found(request["Id"])
        _, sub = found
        if sub is None:  # a batch's own id: results belong to its sub-statements
            raise _validation(f"Query {request['Id']} is a batch: ask for <id>:<n>")
        with STATEMENTS_LOCK:
            if sub.status != FINISHED:
                raise _validation(f"Query {request['Id']} is not finished ({sub.status})")
            if sub.result is None:
                raise _not_found(f"{request['Id']} (query does not have result)")
            return {
                "Records": sub.result.records,
                "ColumnMetadata": sub.result.columns,
                "TotalNumRows": len(sub.result.records),
            }

    @handler("ListStatements", expand=False)
    def list_statements(self, context: RequestContext, request: dict) -> dict:
        wanted = request.get("Status", "ALL")
        with STATEMENTS_LOCK:
            statements = sorted(
                _store(context).statements.values(), key=lambda s: s.created_at, reverse=True
            )
            listed = [
                {
                    "Id": s.id,
                    "Status": s.status,
                    "CreatedAt": s.created_at,
                    "UpdatedAt": s.updated_at,
                    "IsBatchStatement": s.is_batch,
                    "QueryStrings": [sub.query for sub in s.subs],
                    **({"SecretArn": s.secret_arn} if s.secret_arn else {}),
                }
                for s in statements
                if wanted == "ALL" or s.status == wanted
            ]
        return {"Statements": listed[: request.get("MaxResults") or 100]}

    @handler("CancelStatement", expand=False)
    def cancel_statement(self, context: RequestContext, request: dict) -> dict:
        found = _store(context).find(request["Id"])
        if found is None:
            raise _not_found(request["Id"])
        statement = found[0]
        with STATEMENTS_LOCK:
            if statement.ended:
                raise _validation(
                    f"Could not cancel a query that is already in {statement.status} state"
                )
            statement.cancel_requested = True
            connection = statement.connection
            if connection is None:  # not started yet: it ends before it runs
                statement.set(ABORTED, "Query cancelled on user's request")
        if connection is not None:
            connection.cancel()
        return {"Status": True}


@aws_provider(api="redshift-data")
def redshift_data() -> Service:
    provider = RedshiftDataProvider()
    return Service.for_provider(
        provider, dispatch_table_factory=full_moto_dispatch_table("redshift-data")
    )
