using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Relay.Hosting.Options;

/// <summary>
/// Binds a configuration section onto an options object and reports, all at once, every key the options
/// do not have and every value that does not convert — each with the key in both spellings and the fix —
/// leaving a bad value at its default. An empty value means "the default" (an environment variable set to
/// nothing, a chart value left blank). Every source and sink binds through here, so a bool, a time span or an
/// enum is read the same way everywhere. Values of text keys are never repeated: they may be secrets.
/// </summary>
/// <remarks>Runs at start-up and in validation only; reflection is fine here.</remarks>
internal static class OptionsBinder
{
    /// <summary>Binds <paramref name="section"/> onto <paramref name="target"/>; <paramref name="owner"/> names what the keys belong to ("a PostgresReplication source").</summary>
    public static List<string> Bind(IConfigurationSection section, object target, string owner)
    {
        var problems = new List<string>();
        BindObject(section, target, owner, problems);
        return problems;
    }

    private static void BindObject(IConfigurationSection section, object target, string owner, List<string> problems)
    {
        var properties = SettableProperties(target.GetType());
        object? defaults = null;
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                problems.Add(UnknownKey(child, owner, properties));
                continue;
            }
            var type = property.PropertyType;
            if (type == typeof(Dictionary<string, string>))
            {
                var dictionary = (Dictionary<string, string>?)property.GetValue(target);
                if (dictionary is null) property.SetValue(target, dictionary = new Dictionary<string, string>(StringComparer.Ordinal));
                // Nested keys flatten with '.', so "Config:sasl:password" (an environment variable cannot hold a '.') means "sasl.password".
                foreach (var (path, value) in child.AsEnumerable(makePathsRelative: true))
                    if (value is not null) dictionary[path.Replace(':', '.')] = value;
            }
            else if (type == typeof(Dictionary<string, int>))
            {
                var dictionary = (Dictionary<string, int>?)property.GetValue(target);
                if (dictionary is null) property.SetValue(target, dictionary = new Dictionary<string, int>(StringComparer.Ordinal));
                // Flattened like the text dictionaries: "Shards:outbox:event:order" (Relay__...__Shards__outbox__event__order) is "outbox.event.order".
                foreach (var (path, value) in child.AsEnumerable(makePathsRelative: true))
                {
                    if (string.IsNullOrEmpty(value)) continue;
                    if (TryConvert(value, typeof(int), out var number)) dictionary[path.Replace(':', '.')] = (int)number!;
                    else problems.Add($"{ConfigKeys.Describe(ConfigurationPath.Combine(child.Path, path))} is '{value}'. Set it to {Expected(typeof(int))}.");
                }
            }
            else if (IsScalar(type))
            {
                if (child.Value is null)
                {
                    if (!child.GetChildren().Any()) continue; // a key with no value, e.g. "Key": null in JSON
                    problems.Add($"{ConfigKeys.Describe(child.Path)} is a section, not a value. Set it to {Expected(type)}.");
                    continue;
                }
                if (child.Value.Length == 0) continue;
                if (TryConvert(child.Value, type, out var value))
                {
                    property.SetValue(target, value);
                    continue;
                }
                defaults ??= Activator.CreateInstance(target.GetType());
                problems.Add($"{ConfigKeys.Describe(child.Path)} is '{child.Value}'. Set it to {Expected(type)}{DefaultText(property, defaults)}.");
            }
            else
            {
                var nested = property.GetValue(target);
                if (nested is null) property.SetValue(target, nested = Activator.CreateInstance(type)!);
                BindObject(child, nested, owner, problems);
            }
        }
    }

    private static PropertyInfo[] SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod?.IsPublic == true && p.SetMethod?.IsPublic == true)
            .ToArray();

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);
    }

    private static bool TryConvert(string text, Type type, out object? value)
    {
        value = null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        var trimmed = text.Trim();
        if (type == typeof(string)) { value = text; return true; }
        if (type == typeof(bool)) { if (bool.TryParse(trimmed, out var b)) value = b; return value is not null; }
        if (type == typeof(TimeSpan)) { if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var t)) value = t; return value is not null; }
        if (type.IsEnum)
        {
            // Names only: Enum.TryParse would also take "1" or "-3", which say nothing a reader could check.
            if (trimmed.Length == 0 || char.IsDigit(trimmed[0]) || trimmed[0] is '-' or '+') return false;
            if (Enum.TryParse(type, trimmed, ignoreCase: true, out var e) && Enum.IsDefined(type, e!)) value = e;
            return value is not null;
        }
        try
        {
            value = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(trimmed);
            return value is not null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(TimeSpan)) return "a time span as hh:mm:ss[.fff], e.g. 00:00:10";
        if (type.IsEnum) return "one of: " + string.Join(", ", Enum.GetNames(type));
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "a whole number";
        if (type == typeof(string)) return "a text value";
        return "a number";
    }

    private static string DefaultText(PropertyInfo property, object? defaults)
    {
        var value = defaults is null ? null : property.GetValue(defaults);
        return value switch
        {
            null => "",
            bool b => $" (default {(b ? "true" : "false")})",
            TimeSpan t => $" (default {t.ToString("c", CultureInfo.InvariantCulture)})",
            IFormattable f => $" (default {f.ToString(null, CultureInfo.InvariantCulture)})",
            var other => $" (default {other})",
        };
    }

    private static string UnknownKey(IConfigurationSection key, string owner, PropertyInfo[] properties)
    {
        var names = properties.Select(p => p.Name).ToList();
        var closest = names.MinBy(n => Distance(n.ToLowerInvariant(), key.Key.ToLowerInvariant()));
        var suggestion = closest is not null && Distance(closest.ToLowerInvariant(), key.Key.ToLowerInvariant()) <= Math.Max(2, key.Key.Length / 3)
            ? $" Did you mean {closest}?"
            : "";
        return $"{ConfigKeys.Describe(key.Path)} is not a key of {owner}.{suggestion} Remove it, or use one of: {string.Join(", ", names)}.";
    }

    /// <summary>Levenshtein distance, for "did you mean".</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
