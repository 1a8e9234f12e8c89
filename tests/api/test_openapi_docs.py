"""The OpenAPI document is valid and complete; Swagger UI is served offline."""

from __future__ import annotations

from openapi_spec_validator import validate

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def test_openapi_document_is_valid(client):
    # Given the running API
    # When its OpenAPI document is fetched
    response = client.get("/api/v1/openapi.json")
    # Then it is a valid OpenAPI 3 document
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_security_schemes_and_operations_are_documented(client):
    # Given the OpenAPI document
    spec = client.get("/api/v1/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    # Then it has the bearer and API-key schemes
    assert schemes["bearerAuth"]["type"] == "http"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    # And every operation has a one-line summary
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS and not operation.get("summary")
    ]
    assert missing == []
    multi_line = [
        op["summary"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS and "\n" in op["summary"]
    ]
    assert multi_line == []


def test_security_requirements_follow_the_decorators(client):
    # Given the OpenAPI document
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    def schemes(path: str, method: str) -> set[str]:
        return {name for entry in paths[path][method].get("security", []) for name in entry}

    # Then public endpoints need nothing, user-only endpoints take bearer tokens, and
    # endpoints with a scope also take API keys
    assert schemes("/api/v1/auth/login", "post") == set()
    assert schemes("/api/v1/auth/register", "post") == set()
    assert "bearerAuth" in schemes("/api/v1/auth/me", "get")
    assert "apiKeyAuth" not in schemes("/api/v1/auth/me", "get")
    assert "apiKeyAuth" not in schemes("/api/v1/api-keys", "post")
    assert {"bearerAuth", "apiKeyAuth"} <= schemes("/api/v1/jobs", "get")


def test_errors_are_documented_as_problem_json(client):
    # Given the OpenAPI document
    spec = client.get("/api/v1/openapi.json").get_json()
    # Then the validation error answer of register is application/problem+json
    responses = spec["paths"]["/api/v1/auth/register"]["post"]["responses"]
    ref = responses["422"]["$ref"].rsplit("/", 1)[1]
    assert "application/problem+json" in spec["components"]["responses"][ref]["content"]
    # And the login accepts the OAuth2 password form as well as JSON
    content = spec["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(content)


def test_swagger_ui_is_served_with_local_assets(client):
    # Given the running API
    # When the docs page and its script are fetched
    page = client.get("/docs")
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    # Then both are served from this process
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "/api/v1/openapi.json" in html
    assert script.status_code == 200
    assert len(script.get_data()) > 100_000
    missing = client.get("/docs/assets/not-there.js")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
