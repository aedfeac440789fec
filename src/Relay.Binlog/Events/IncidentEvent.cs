namespace Relay.Binlog.Events;

/// <summary>
/// INCIDENT (26): the server could not log what it changed (incident 1, LOST_EVENTS: a non-transactional change
/// that did not fit the statement cache, a failed binlog write), so the log from here on may lack changes that are
/// in the tables. A replica stops on it (Slave_SQL error 1590). Layout (Incident_event): post-header the incident
/// number (u16); body the message length (u8) and the message.
/// </summary>
public sealed class IncidentEvent : BinlogEvent
{
    public const ushort LostEvents = 1;

    /// <summary>The incident number: 1 is LOST_EVENTS, 0 NONE; others are named by number.</summary>
    public ushort Incident { get; internal set; }

    /// <summary>The server's description of what happened, often empty.</summary>
    public string Message { get; internal set; } = "";

    /// <summary>LOST_EVENTS, NONE, or the number.</summary>
    public string IncidentName => Incident switch
    {
        0 => "NONE",
        LostEvents => "LOST_EVENTS",
        _ => $"incident {Incident}",
    };
}
