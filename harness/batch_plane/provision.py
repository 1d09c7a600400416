"""The Batch resources orbital's tests use, created in moto through the plane (so that this also
checks the pass-through), idempotently; run by harness/aws after it starts the plane:

    PYTHONPATH=harness $VENV/bin/python -m batch_plane.provision --endpoint http://127.0.0.1:4567 ...

IAM: the job role (trusting ecs-tasks.amazonaws.com), ecsTaskExecutionRole (the same trust), a
service role for the compute environments (batch.amazonaws.com) and the instance profile
ecsInstanceRole (moto 5.2.5 requires a service role in its IAM and, for EC2, an instance profile).
EC2: a VPC tagged Name=orbital-batch with one subnet and a security group orbital-batch (moto
checks that they exist). Batch: a MANAGED EC2 compute environment (minvCpus 0, so moto launches no
instance) and its job queue; a FARGATE compute environment and queue, if moto takes them (it
does in 5.2.5). CloudWatch Logs: the group /aws/batch/job. Then the plane's stats are reset.
Prints the Fargate queue's name on stdout, or nothing when moto refused it."""

import argparse
import json
import sys
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config


def main():
    ap = argparse.ArgumentParser()
    for a in ("endpoint", "region", "access-key", "secret-key", "job-role", "ce", "queue", "fargate-ce",
              "fargate-queue", "log-group"):
        ap.add_argument("--" + a, required=True)
    o = ap.parse_args()
    kw = dict(endpoint_url=o.endpoint, region_name=o.region, aws_access_key_id=o.access_key,
              aws_secret_access_key=o.secret_key, config=Config(retries={"max_attempts": 1}))
    iam, ec2, batch, logs = (boto3.client(s, **kw) for s in ("iam", "ec2", "batch", "logs"))

    def role(name, service):
        try:
            return iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                              "Action": "sts:AssumeRole"}]}
            return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                   Description="orbital Batch tests")["Role"]["Arn"]

    role(o.job_role, "ecs-tasks.amazonaws.com")
    role("ecsTaskExecutionRole", "ecs-tasks.amazonaws.com")
    service_role = role("orbital-batch-service", "batch.amazonaws.com")
    role("ecsInstanceRole", "ec2.amazonaws.com")
    try:
        profile = iam.get_instance_profile(InstanceProfileName="ecsInstanceRole")["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        profile = iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")["InstanceProfile"]
    if not profile.get("Roles"):
        iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="ecsInstanceRole")

    tag = [{"Key": "Name", "Value": "orbital-batch"}]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["orbital-batch"]}])["Vpcs"]
    vpc = vpcs[0]["VpcId"] if vpcs else ec2.create_vpc(
        CidrBlock="10.88.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tag}])["Vpc"]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    subnet = subnets[0]["SubnetId"] if subnets else ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.88.1.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": tag}])["Subnet"]["SubnetId"]
    sgs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                {"Name": "group-name", "Values": ["orbital-batch"]}])["SecurityGroups"]
    sg = sgs[0]["GroupId"] if sgs else ec2.create_security_group(
        GroupName="orbital-batch", Description="orbital Batch tests", VpcId=vpc)["GroupId"]

    def compute_environment(name, resources):
        if not batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]:
            batch.create_compute_environment(computeEnvironmentName=name, type="MANAGED", state="ENABLED",
                                             serviceRole=service_role, computeResources=resources)

    def job_queue(name, ce_name):
        if not batch.describe_job_queues(jobQueues=[name])["jobQueues"]:
            batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce_name}])

    compute_environment(o.ce, {"type": "EC2", "minvCpus": 0, "maxvCpus": 64, "desiredvCpus": 0,
                               "instanceTypes": ["optimal"], "subnets": [subnet], "securityGroupIds": [sg],
                               "instanceRole": profile["Arn"]})
    job_queue(o.queue, o.ce)
    fargate = ""
    try:
        compute_environment(o.fargate_ce, {"type": "FARGATE", "maxvCpus": 64, "subnets": [subnet],
                                           "securityGroupIds": [sg]})
        job_queue(o.fargate_queue, o.fargate_ce)
        fargate = o.fargate_queue
    except botocore.exceptions.ClientError as e:
        print("harness/aws: moto refused the Fargate compute environment or queue: %s" % e, file=sys.stderr)
    try:
        logs.create_log_group(logGroupName=o.log_group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    urllib.request.urlopen(urllib.request.Request(o.endpoint + "/_plane/reset-stats", method="POST"), timeout=5).read()
    print(fargate)


if __name__ == "__main__":
    main()
