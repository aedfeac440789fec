using System.Collections.Frozen;

namespace Relay.Binlog.Events;

/// <summary>
/// Collation ids (what TABLE_MAP metadata and QUERY status variables carry) to their character set. The ids are
/// MariaDB 10.11's information_schema.COLLATIONS plus MySQL 8's utf8mb4_0900 range (255-323), utf8mb3_tolower_ci (76)
/// and gb18030 (248-250).
/// </summary>
internal static class MySqlCollations
{
    public const int BinaryId = 63;

    private static readonly FrozenDictionary<int, string> CharsetById = Build();

    /// <summary>The charset name of a collation id ("utf8mb4", "latin1", "binary"), or null when the id is not known.</summary>
    public static string? CharsetName(int collationId) => CharsetById.GetValueOrDefault(collationId);

    public static MySqlCharset Charset(int collationId) => collationId == 0
        ? MySqlCharset.Unknown
        : CharsetName(collationId) is { } name ? FromName(name) : MySqlCharset.Unknown;

    public static MySqlCharset FromName(string charsetName) => charsetName.ToLowerInvariant() switch
    {
        "binary" => MySqlCharset.Binary,
        "utf8mb4" or "utf8mb3" or "utf8" => MySqlCharset.Utf8,
        "ascii" => MySqlCharset.Ascii,
        "latin1" => MySqlCharset.Latin1,
        "ucs2" or "utf16" => MySqlCharset.Utf16BigEndian,
        "utf16le" => MySqlCharset.Utf16LittleEndian,
        "utf32" => MySqlCharset.Utf32BigEndian,
        _ => MySqlCharset.Unsupported,
    };

    /// <summary>
    /// The default collation id of a charset, for callers that know a column's charset by name (information_schema's
    /// CHARACTER_SET_NAME) and complete a <see cref="TableColumns"/> with it: only the charset matters for decoding.
    /// </summary>
    public static int DefaultId(string charsetName) => charsetName.ToLowerInvariant() switch
    {
        "binary" => BinaryId,
        "utf8mb4" => 45,
        "utf8mb3" or "utf8" => 33,
        "ascii" => 11,
        "latin1" => 8,
        "ucs2" => 35,
        "utf16" => 54,
        "utf16le" => 56,
        "utf32" => 60,
        var other => LowestIdOf(other) is var id and > 0
            ? id
            : throw new ArgumentException($"Unknown MySQL character set '{charsetName}'.", nameof(charsetName)),
    };

    private static int LowestIdOf(string charsetName)
    {
        var lowest = 0;
        foreach (var (id, name) in CharsetById)
            if (name == charsetName && (lowest == 0 || id < lowest)) lowest = id;
        return lowest;
    }

    private static FrozenDictionary<int, string> Build()
    {
        // SELECT character_set_name, GROUP_CONCAT(id) FROM information_schema.collations GROUP BY 1 (MariaDB 10.11).
        const string table = """
            armscii8 32,64,1056,1088
            ascii 11,65,1035,1089
            big5 1,84,1025,1108
            binary 63
            cp1250 26,34,44,66,99,1050,1090
            cp1251 14,23,50,51,52,1074,1075
            cp1256 57,67,1081,1091
            cp1257 29,58,59,1082,1083
            cp850 4,80,1028,1104
            cp852 40,81,1064,1105
            cp866 36,68,1060,1092
            cp932 95,96,1119,1120
            dec8 3,69,1027,1093
            eucjpms 97,98,1121,1122
            euckr 19,85,1043,1109
            gb2312 24,86,1048,1110
            gbk 28,87,1052,1111
            geostd8 92,93,1116,1117
            greek 25,70,1049,1094
            hebrew 16,71,1040,1095
            hp8 6,72,1030,1096
            keybcs2 37,73,1061,1097
            koi8r 7,74,1031,1098
            koi8u 22,75,1046,1099
            latin1 5,8,15,31,47,48,49,94,1032,1071
            latin2 2,9,21,27,77,1033,1101
            latin5 30,78,1054,1102
            latin7 20,41,42,79,1065,1103
            macce 38,43,1062,1067
            macroman 39,53,1063,1077
            sjis 13,88,1037,1112
            swe7 10,82,1034,1106
            tis620 18,89,1042,1113
            ucs2 35,90,128-151,159,640-642,1059,1114,1152,1174
            ujis 12,91,1036,1115
            utf16 54,55,101-124,672-674,1078,1079,1125,1147
            utf16le 56,62,1080,1086
            utf32 60,61,160-183,736-738,1084,1085,1184,1206
            utf8mb3 33,76,83,192-215,223,576-578,1057,1107,1216,1238
            utf8mb4 45,46,224-247,255-323,608-610,1069,1070,1248,1270
            gb18030 248-250
            """;
        var map = new Dictionary<int, string>();
        foreach (var line in table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var space = line.IndexOf(' ');
            var name = line[..space];
            foreach (var item in line[(space + 1)..].Split(','))
            {
                var dash = item.IndexOf('-');
                var from = int.Parse(dash < 0 ? item : item[..dash], System.Globalization.CultureInfo.InvariantCulture);
                var to = dash < 0 ? from : int.Parse(item[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                for (var id = from; id <= to; id++) map[id] = name;
            }
        }
        return map.ToFrozenDictionary();
    }
}
