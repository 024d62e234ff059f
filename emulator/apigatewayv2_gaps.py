"""API Gateway v2 features moto 5.2.5 lacks, so apigatewayv2_http_api runs its real-AWS code paths.

Gaps filled (each as AWS documents it):
- GetAuthorizers (list the authorizers of an API) is not implemented.
- UpdateStage is not implemented (default route throttling, access logs, auto deploy, ...).
- Tags of a stage: CreateStage keeps them in the stage only, and in server mode Get/Tag/UntagResource
  on a stage ARN (.../apis/<id>/stages/<name>) answer 404. Stage tags now live in the tagging
  service under the stage ARN, so GetStage(s) and the tag operations agree.
- UpdateRoute to AuthorizationType NONE or AWS_IAM keeps the old AuthorizerId; AWS detaches it.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import unquote

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True

    from moto.apigatewayv2 import urls
    from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Route, Stage
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    # ------------------------------------------------------------------ GetAuthorizers
    def get_authorizers(self):
        api_id = self.path.split("/")[-2]
        api = self.apigatewayv2_backend.get_api(api_id)
        return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})

    ApiGatewayV2Response.get_authorizers = get_authorizers

    # ------------------------------------------------------------------ UpdateStage
    def stage_update(self, config):
        if config.get("accessLogSettings") is not None:
            self.access_log_settings = config["accessLogSettings"]
        if config.get("autoDeploy") is not None:
            self.auto_deploy = config["autoDeploy"]
        if config.get("clientCertificateId") is not None:
            self.client_certificate_id = config["clientCertificateId"]
        if config.get("description") is not None:
            self.description = config["description"]
        if config.get("defaultRouteSettings") is not None:
            merged = dict(self.default_route_settings or {})
            merged.update(config["defaultRouteSettings"])
            self.default_route_settings = merged
        if config.get("routeSettings") is not None:
            self.route_settings = config["routeSettings"]
        if config.get("stageVariables") is not None:
            self.stage_variables = config["stageVariables"]
        self.updated = datetime.now()

    Stage.update = stage_update

    def update_stage(self):
        parts = self.path.split("/")
        api_id, stage_name = parts[-3], unquote(parts[-1])
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        stage.update(json.loads(self.body or "{}"))
        return 200, {}, json.dumps(stage.to_json())

    ApiGatewayV2Response.update_stage = update_stage

    # ------------------------------------------------------------------ stage tags
    original_create_stage = Api.create_stage
    original_delete_stage = Api.delete_stage
    original_delete_api = ApiGatewayV2Backend.delete_api
    original_stage_to_json = Stage.to_json

    def create_stage(self, config):
        stage = original_create_stage(self, config)
        stage.tap_arn = "%s/stages/%s" % (self.arn, stage.name)
        stage.tap_backend = self.backend
        self.backend.tagger.delete_all_tags_for_resource(stage.tap_arn)
        self.backend.tag_resource(stage.tap_arn, config.get("tags") or {})
        return stage

    def delete_stage(self, stage_name):
        self.backend.tagger.delete_all_tags_for_resource("%s/stages/%s" % (self.arn, stage_name))
        original_delete_stage(self, stage_name)

    def delete_api(self, api_id):
        api = self.apis.get(api_id)
        if api is not None:
            for name in list(api.stages):
                self.tagger.delete_all_tags_for_resource("%s/stages/%s" % (api.arn, name))
            self.tagger.delete_all_tags_for_resource(api.arn)
        original_delete_api(self, api_id)

    def stage_to_json(self):
        result = original_stage_to_json(self)
        if getattr(self, "tap_arn", None):
            result["tags"] = self.tap_backend.get_tags(self.tap_arn)
        return result

    Api.create_stage = create_stage
    Api.delete_stage = delete_stage
    ApiGatewayV2Backend.delete_api = delete_api
    Stage.to_json = stage_to_json
    # The server decodes %2F in the ARN; route .../apis/<id>/stages/<name> to the tag handlers.
    urls.url_paths.setdefault(
        "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/apis/(?P<resource_arn_pt2>[^/]+)/stages/(?P<resource_arn_pt3>[^/]+)$",
        ApiGatewayV2Response.dispatch,
    )

    # ------------------------------------------------------------------ UpdateRoute detaches the authorizer
    original_route_update = Route.update

    def route_update(self, *args, **kwargs):
        original_route_update(self, *args, **kwargs)
        if kwargs.get("authorization_type") in ("NONE", "AWS_IAM") and not kwargs.get("authorizer_id"):
            self.authorizer_id = None

    Route.update = route_update
