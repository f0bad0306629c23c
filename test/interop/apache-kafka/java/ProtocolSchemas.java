// Prints, for each API key named on the command line, the wire layout of every request and
// response version Apache Kafka's own clients jar knows, one line per version:
//   <key> <Request|Response> v<version> <layout>
// The layout names each field with its wire type in order; a struct is {...}, an array
// [...], a nullable one starts with ?, and the tagged fields of a flexible struct come last
// as tag<N>.<name>:<type>. The project's test compares it with its own API definitions.
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.Field;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.TaggedFields;
import org.apache.kafka.common.protocol.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

public class ProtocolSchemas {
    public static void main(String[] args) throws Exception {
        for (String key : args) {
            ApiKeys api = ApiKeys.forId(Short.parseShort(key));
            String base = "org.apache.kafka.common.message." + api.name;
            for (String direction : new String[] {"Request", "Response"}) {
                Schema[] schemas = (Schema[]) Class.forName(base + direction + "Data").getField("SCHEMAS").get(null);
                for (int version = 0; version < schemas.length; version++) {
                    if (schemas[version] != null) System.out.println(key + " " + direction + " v" + version + " " + layout(schemas[version]));
                }
            }
        }
    }

    static String layout(Type type) throws Exception {
        if (type instanceof Schema schema) {
            List<String> parts = new ArrayList<>();
            for (BoundField field : schema.fields()) {
                if (field.def.type instanceof TaggedFields) {
                    String tagged = layout(field.def.type);
                    if (!tagged.isEmpty()) parts.add(tagged);
                } else {
                    parts.add(field.def.name + ":" + layout(field.def.type));
                }
            }
            return (type.isNullable() ? "?" : "") + "{" + String.join(" ", parts) + "}";
        }
        if (type instanceof TaggedFields tagged) {
            java.lang.reflect.Field fields = TaggedFields.class.getDeclaredField("fields");
            fields.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<Integer, Field> byTag = new TreeMap<>((Map<Integer, Field>) fields.get(tagged));
            List<String> parts = new ArrayList<>();
            for (Map.Entry<Integer, Field> entry : byTag.entrySet()) parts.add("tag" + entry.getKey() + "." + entry.getValue().name + ":" + layout(entry.getValue().type));
            return String.join(" ", parts);
        }
        Optional<Type> element = type.arrayElementType();
        if (element.isPresent()) return (type.isNullable() ? "?" : "") + "[" + layout(element.get()) + "]";
        return type.toString();
    }
}
