using Relay.Hosting;

// Source and sink kinds: one line each, in BuiltInKinds.
return await RelayCli.RunAsync(args, relay => relay.AddBuiltInKinds());
