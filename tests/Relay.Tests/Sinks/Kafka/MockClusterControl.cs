using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.Kafka;

/// <summary>
/// librdkafka's mock-cluster API (rdkafka_mock.h), reached through the librdkafka that
/// Confluent.Kafka already loaded and the holder client's native handle. Tests only.
/// </summary>
internal sealed class MockClusterControl
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr HandleMockCluster(IntPtr rk);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int BrokerSet(IntPtr mcluster, int brokerId);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void PushRequestErrorsArray(IntPtr mcluster, short apiKey, nuint count, int[] errors);

    private readonly IntPtr _mcluster;
    private readonly BrokerSet _setDown;
    private readonly BrokerSet _setUp;
    private readonly PushRequestErrorsArray _pushErrors;

    public MockClusterControl(KafkaCluster cluster)
    {
        var holder = cluster.MockHolder ?? throw new InvalidOperationException("Not a mock cluster.");
        var library = NativeLibrary.Load(LoadedLibrdkafkaPath());
        T Export<T>(string name) => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));

        _mcluster = Export<HandleMockCluster>("rd_kafka_handle_mock_cluster")(NativeHandle(holder));
        if (_mcluster == IntPtr.Zero) throw new InvalidOperationException("The holder client has no mock cluster.");
        _setDown = Export<BrokerSet>("rd_kafka_mock_broker_set_down");
        _setUp = Export<BrokerSet>("rd_kafka_mock_broker_set_up");
        _pushErrors = Export<PushRequestErrorsArray>("rd_kafka_mock_push_request_errors_array");
    }

    public void SetDown(int brokerId) => Check(_setDown(_mcluster, brokerId));
    public void SetUp(int brokerId) => Check(_setUp(_mcluster, brokerId));

    /// <summary>The next requests of this API (any client) get these error codes, as a broker would answer.</summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors) =>
        _pushErrors(_mcluster, apiKey, (nuint)errors.Length, errors.Select(e => (int)e).ToArray());

    private static void Check(int err)
    {
        if (err != 0) throw new InvalidOperationException($"librdkafka mock call failed: {(ErrorCode)err}");
    }

    // Confluent.Kafka keeps the rd_kafka_t* in an internal SafeHandle; there is no public accessor.
    private static IntPtr NativeHandle(IClient client)
    {
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
                       ?? throw new InvalidOperationException("Confluent.Kafka.Handle.LibrdkafkaHandle not found; the test needs updating for this Confluent.Kafka version.");
        var safeHandle = (SafeHandle)property.GetValue(client.Handle)!;
        return safeHandle.DangerousGetHandle();
    }

    // The very library Confluent.Kafka loaded (it may be a fallback build), so the mock cluster is the same object.
    private static string LoadedLibrdkafkaPath() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && Path.GetFileName(parts[5]).Contains("librdkafka", StringComparison.Ordinal))
            .Select(parts => parts[5])
            .FirstOrDefault()
        ?? throw new InvalidOperationException("librdkafka is not loaded in this process (Linux /proc/self/maps).");
}
