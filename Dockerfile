# Relay's container image: a self-contained publish on Microsoft's runtime-deps base (glibc, OpenSSL,
# CA certificates; no .NET runtime of its own since the publish carries it), run as the non-root
# user 1654 ("app"). The same layout is built without Docker by scripts/build-oci-image.sh.
#
#   docker build -t relay:0.1.0 .
#   docker run --rm -p 8080:8080 -e Relay__Sources__orders__ConnectionString=... relay:0.1.0
#
# Configuration: /app/appsettings.json (logging only), then the file named by RELAY_CONFIG_FILE
# (the Helm chart mounts /etc/relay/relay.json), then environment variables.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Restore first, so the package layer is cached while only code changes. The restore names the
# publish's properties: a self-contained ReadyToRun (composite) publish needs the runtime packs and the
# Crossgen2 pack, which a plain `restore -r` does not fetch, and the publish below does not restore.
COPY Directory.Build.props ./
COPY src/Relay.Abstractions/Relay.Abstractions.csproj src/Relay.Abstractions/
COPY src/Relay.Binlog/Relay.Binlog.csproj src/Relay.Binlog/
COPY src/Relay/Relay.csproj src/Relay/
RUN dotnet restore src/Relay/Relay.csproj -r linux-x64 -p:SelfContained=true -p:PublishReadyToRun=true
COPY appsettings.json ./
COPY src/ src/
RUN dotnet publish src/Relay/Relay.csproj -c Release -r linux-x64 --self-contained --no-restore -o /app \
 && rm -f /app/*.pdb /app/alpine-librdkafka.so
# The demo's appsettings.json names a demo database: the image ships logging settings only.
COPY deploy/image/appsettings.json /app/appsettings.json

FROM mcr.microsoft.com/dotnet/runtime-deps:${DOTNET_VERSION}
# GSSAPI (Kerberos): Npgsql tries GSS encryption first; without the library the runtime prints an
# error on every database connection.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgssapi-krb5-2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV DOTNET_gcServer=0 \
    DOTNET_NOLOGO=1
USER 1654:1654
EXPOSE 8080
ENTRYPOINT ["/app/Relay"]
