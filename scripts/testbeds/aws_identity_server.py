#!/usr/bin/env python3
"""An AWS endpoint that checks who is asking: moto's server with its IAM authorization on, plus an SSO portal.

With moto's authorization on, every request's SigV4 signature is verified against the access keys moto issued
(an IAM user's, or a role's that STS AssumeRole handed out) and the action is checked against that identity's
policies: credentials a client got wrong are refused, not silently accepted as moto does by default.

Seeded at start, while authorization is still off:
  - user "source": may only call sts:AssumeRole and sts:GetCallerIdentity (its keys sign the first AssumeRole);
  - role "cross": kinesisvideo:ListStreams, s3:*, sts:AssumeRole, sts:GetCallerIdentity;
  - role "second": kinesisvideo:ListStreams, sts:GetCallerIdentity (assumed with "cross"'s credentials);
  - user "reader": kinesisvideo:ListStreams, s3:*, sts:GetCallerIdentity;
  - role "Viewer": the same, what the SSO portal hands out (assumed by "source" at each GetRoleCredentials);
  - the KVS stream "identity-cam-1" and the S3 bucket "identity-bucket".

moto has no IAM Identity Center portal, so this one answers GetRoleCredentials
(GET /federation/credentials?account_id=…&role_name=…, token in x-amz-sso_bearer_token) as the real one does:
the token printed below for account 123456789012 and role "Viewer" gets that role's credentials from moto's STS,
another token 401 UnauthorizedException, another role 403 ForbiddenException.

Test control: GET /_clipline/requests counts the portal's calls ({"GetRoleCredentials": 2}); moto's own
/moto-api/data.json shows the roles assumed (role, session name, external id).

With --tls DIR, serves HTTPS with a certificate for 127.0.0.1 signed by a CA made at start (DIR/ca.pem), and
DIR/other-ca.pem is a CA that signed nothing here.

Prints one JSON line once it answers: endpoint, the keys of "source" and "reader", the role ARNs, the SSO token.
"""
import argparse
import json
import signal
import subprocess
import sys
import threading

import boto3
import botocore.config
from moto import settings as moto_settings
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ACCOUNT = "123456789012"
SSO_ROLE = "Viewer"
SSO_TOKEN = "clipline-sso-access-token"


def allow(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                                "Resource": "*"}]})


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                            "Action": "sts:AssumeRole"}]})


class Portal:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.sts = None
        self.viewer = None

    def wrap(self, app):
        def application(environ, start_response):
            request = Request(environ)
            if request.path == "/_clipline/requests":
                with self.lock:
                    body = json.dumps(self.counts)
                return Response(body, content_type="application/json")(environ, start_response)
            if request.path == "/federation/credentials":
                return self.role_credentials(request)(environ, start_response)
            return app(environ, start_response)
        return application

    def role_credentials(self, request):
        with self.lock:
            self.counts["GetRoleCredentials"] = self.counts.get("GetRoleCredentials", 0) + 1
        if request.headers.get("x-amz-sso_bearer_token") != SSO_TOKEN:
            return error(401, "UnauthorizedException", "Session token not found or invalid")
        if request.args.get("account_id") != ACCOUNT or request.args.get("role_name") != SSO_ROLE:
            return error(403, "ForbiddenException", "No access")
        credentials = self.sts.assume_role(RoleArn=self.viewer, RoleSessionName="sso")["Credentials"]
        return Response(json.dumps({"roleCredentials": {
            "accessKeyId": credentials["AccessKeyId"], "secretAccessKey": credentials["SecretAccessKey"],
            "sessionToken": credentials["SessionToken"],
            "expiration": int(credentials["Expiration"].timestamp() * 1000)}}), content_type="application/json")


class KeepsTheBearerHeader(WSGIRequestHandler):
    """werkzeug drops headers with an underscore (against spoofing); the portal's own is x-amz-sso_bearer_token."""

    def make_environ(self):
        environ = super().make_environ()
        token = self.headers.get("x-amz-sso_bearer_token")
        if token is not None:
            environ["HTTP_X_AMZ_SSO_BEARER_TOKEN"] = token
        return environ


def error(status, kind, message):
    response = Response(json.dumps({"message": message}), status=status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = kind
    return response


def make_certificates(directory):
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], check=True, capture_output=True)
    for name in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=clipline test {name}",
                "-keyout", f"{directory}/{name}-key.pem", "-out", f"{directory}/{name}.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            f"{directory}/server-key.pem", "-out", f"{directory}/server.csr")
    with open(f"{directory}/san.cnf", "w") as extensions:
        extensions.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{directory}/server.csr", "-CA", f"{directory}/ca.pem", "-CAkey",
            f"{directory}/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", f"{directory}/san.cnf",
            "-out", f"{directory}/server.pem")


def seed(endpoint, verify):
    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", verify=verify,
                            aws_access_key_id="AKIASEEDING000000000", aws_secret_access_key="seeding",
                            config=botocore.config.Config(retries={"max_attempts": 1}))
    iam = client("iam")
    keys = {}
    for user, policy in (("source", allow("sts:AssumeRole", "sts:GetCallerIdentity")),
                         ("reader", allow("kinesisvideo:ListStreams", "s3:*", "sts:GetCallerIdentity"))):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="clipline", PolicyDocument=policy)
        keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
    roles = {}
    for role, policy in (("cross", allow("kinesisvideo:ListStreams", "s3:*", "sts:AssumeRole",
                                         "sts:GetCallerIdentity")),
                         ("second", allow("kinesisvideo:ListStreams", "sts:GetCallerIdentity")),
                         (SSO_ROLE, allow("kinesisvideo:ListStreams", "s3:*", "sts:GetCallerIdentity"))):
        roles[role] = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName=role, PolicyName="clipline", PolicyDocument=policy)
    client("kinesisvideo").create_stream(StreamName="identity-cam-1", DataRetentionInHours=24)
    client("s3").create_bucket(Bucket="identity-bucket")
    return keys, roles


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="the port (default: one the kernel picks)")
    parser.add_argument("--tls", metavar="DIR", help="serve HTTPS with a certificate made in DIR")
    arguments = parser.parse_args()
    portal = Portal()
    ssl_context = None
    if arguments.tls:
        make_certificates(arguments.tls)
        ssl_context = (f"{arguments.tls}/server.pem", f"{arguments.tls}/server-key.pem")
    app = portal.wrap(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", arguments.port, app, threaded=True, ssl_context=ssl_context,
                         request_handler=KeepsTheBearerHeader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"{'https' if arguments.tls else 'http'}://127.0.0.1:{server.port}"
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    keys, roles = seed(endpoint, f"{arguments.tls}/ca.pem" if arguments.tls else True)
    portal.viewer = roles[SSO_ROLE]
    portal.sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                              verify=f"{arguments.tls}/ca.pem" if arguments.tls else True,
                              aws_access_key_id=keys["source"]["AccessKeyId"],
                              aws_secret_access_key=keys["source"]["SecretAccessKey"])
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from here on, every request is verified and authorized
    print(json.dumps({
        "endpoint": endpoint, "account_id": ACCOUNT,
        "source": {"access_key_id": keys["source"]["AccessKeyId"],
                   "secret_access_key": keys["source"]["SecretAccessKey"]},
        "reader": {"access_key_id": keys["reader"]["AccessKeyId"],
                   "secret_access_key": keys["reader"]["SecretAccessKey"]},
        "roles": roles, "sso": {"token": SSO_TOKEN, "account_id": ACCOUNT, "role_name": SSO_ROLE},
    }), flush=True)
    signal.pause()  # serves until a signal ends the process


if __name__ == "__main__":
    main()
