#!/usr/bin/env python3
"""Replays the Dockerfile without Docker, for scripts/build-oci-image.sh.

The build stage (`FROM ... AS build`) runs here, on this machine's .NET SDK: WORKDIR, COPY from the
build context and RUN, with the stage's absolute paths (/src, /app, ...) placed under STAGE_ROOT.
The final stage is not run (its base image is replaced by the Debian root filesystem the script
assembles); its `COPY --from=build` lines are reported so the script copies the same files, and its
ENV, USER, WORKDIR, EXPOSE and ENTRYPOINT become the OCI image's configuration. A `RUN apt-get
install` there names packages whose libraries the root filesystem must hold; they are reported too.
Any other instruction fails the replay, so the Dockerfile and the OCI image cannot silently diverge.

Usage: dockerfile-replay.py DOCKERFILE CONTEXT STAGE_ROOT > final-stage.json
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

dockerfile, context, stage_root = sys.argv[1:4]


def instructions(text):
    """(instruction, arguments) per logical line: comments dropped, continuations joined."""
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        logical.append(current.strip())
        current = ""
    for line in logical:
        word, _, rest = line.partition(" ")
        yield word.upper(), rest.strip()


args, stages = {}, []
for word, rest in instructions(open(dockerfile).read()):
    if word == "ARG" and not stages:
        name, _, default = rest.partition("=")
        args[name] = default
    elif word == "FROM":
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), rest)
        name = re.search(r"\s+AS\s+(\S+)$", image, re.IGNORECASE)
        stages.append({"from": image, "name": name.group(1) if name else None, "steps": []})
    else:
        stages[-1]["steps"].append((word, rest))

build = next(s for s in stages if s["name"] == "build")
final = stages[-1]
if final is build:
    sys.exit("dockerfile-replay: the Dockerfile has no runtime stage after the build stage")


def under_root(path):
    return os.path.join(stage_root, path.lstrip("/"))


def rewrite(command):
    """Absolute paths of the stage (/src, /app) placed under STAGE_ROOT."""
    return re.sub(r"(?<![\w./-])/(?=[A-Za-z])", stage_root.rstrip("/") + "/", command)


workdir = "/"
env = dict(os.environ)
for word, rest in build["steps"]:
    if word == "WORKDIR":
        workdir = os.path.join(workdir, rest)
        os.makedirs(under_root(workdir), exist_ok=True)
    elif word == "COPY":
        parts = shlex.split(rest)
        if any(p.startswith("--") for p in parts):
            sys.exit(f"dockerfile-replay: COPY options are not replayed in the build stage: {rest}")
        *sources, dest = parts
        target = under_root(os.path.join(workdir, dest))
        dest_is_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
        for source in sources:
            src = os.path.join(context, source)
            if os.path.isdir(src):  # its contents, without what .dockerignore leaves out (bin/, obj/)
                shutil.copytree(src, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("bin", "obj"))
            elif dest_is_dir:
                os.makedirs(target, exist_ok=True)
                shutil.copy2(src, os.path.join(target, os.path.basename(src)))
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(src, target)
    elif word == "RUN":
        command = rewrite(rest)
        print(f"dockerfile-replay: RUN {rest}", file=sys.stderr)
        subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=under_root(workdir), env=env, check=True,
                       stdout=sys.stderr)
    elif word == "ENV":
        for key, value in re.findall(r"(\w+)=(\S+)", rest):
            env[key] = value
    else:
        sys.exit(f"dockerfile-replay: the build stage's {word} is not replayed: {word} {rest}")

config = {"from": final["from"], "copies": [], "packages": [], "env": [], "user": None, "workdir": "/",
          "expose": [], "entrypoint": None, "cmd": None}
for word, rest in final["steps"]:
    if word == "COPY":
        parts = shlex.split(rest)
        if parts[0] != "--from=build" or len(parts) != 3:
            sys.exit(f"dockerfile-replay: the runtime stage may only COPY --from=build SRC DEST: {rest}")
        config["copies"].append({"source": under_root(parts[1]), "dest": os.path.normpath(os.path.join(config["workdir"], parts[2]))})
    elif word == "RUN":
        installs = re.findall(r"apt-get install (?:-\S+ )*([\w.+-]+(?: [\w.+-]+)*)", rest)
        if not installs:
            sys.exit(f"dockerfile-replay: the runtime stage's RUN is not understood: {rest}")
        config["packages"] += [p for group in installs for p in group.split()]
    elif word == "ENV":
        config["env"] += [f"{k}={v}" for k, v in re.findall(r"(\w+)=(\S+)", rest)]
    elif word == "USER":
        config["user"] = rest
    elif word == "WORKDIR":
        config["workdir"] = os.path.join(config["workdir"], rest)
    elif word == "EXPOSE":
        config["expose"] += rest.split()
    elif word in ("ENTRYPOINT", "CMD"):
        config[word.lower()] = json.loads(rest)
    else:
        sys.exit(f"dockerfile-replay: the runtime stage's {word} is not replayed: {word} {rest}")
json.dump(config, sys.stdout, indent=2)
