namespace Relay.Sources.LogTailing;

internal enum LogChangeKind
{
    Begin,
    Row,
    Commit,
}
