namespace Relay.Sources.Polling;

/// <summary>What happens to a polled row once the sink committed it.</summary>
public enum AfterPublish
{
    /// <summary>Delete the row: the outbox stays small and needs no cleanup.</summary>
    Delete,
    /// <summary>Set the mark column to the current time: rows stay for auditing and a separate job removes them.</summary>
    Mark,
}
