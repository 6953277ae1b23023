package org.vfio4j.sim.user;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The capabilities of a VERSION message (vfio-user.rst, "VFIO_USER_VERSION"): reads the client's
 * small JSON object and writes the server's answer, which names only capabilities the client
 * proposed, each no larger than proposed (a subset). A JSON reader of its own, because the
 * simulated backend takes no JSON dependency; it reads the whole grammar but keeps only numbers,
 * booleans, strings and nested objects.
 */
final class VersionCaps {
    /** Spec defaults for a capability the client leaves out. */
    static final long DEFAULT_MAX_MSG_FDS = 1;
    static final long DEFAULT_MAX_DATA_XFER = 1 << 20;
    static final long DEFAULT_MAX_DMA_MAPS = 65535;
    static final long DEFAULT_PGSIZES = 4096;

    /** What the server can take: the most fds it accepts with one message and the largest read or write. */
    static final long SERVER_MAX_MSG_FDS = 16;
    static final long SERVER_MAX_DATA_XFER = 1 << 20;

    private VersionCaps() {}

    /** The negotiated limits and the JSON text (without the NUL) that says them. */
    record Answer(long maxMsgFds, long maxDataXferSize, long pgsizes, long maxDmaMaps, String json) {}

    /**
     * The answer to the client's capability text ({@code null}: the client sent none), given the
     * IOMMU's page sizes and how many DMA mappings it allows.
     *
     * @throws IllegalArgumentException for text that is not a JSON object, a capability of the wrong
     *                                  type, or page sizes with none in common with the IOMMU's
     */
    static Answer negotiate(String clientJson, long iommuPgsizes, long dmaMapsAvailable) {
        Map<String, Object> caps = Map.of();
        if (clientJson != null && !clientJson.isBlank()) {
            Object top = new Reader(clientJson).document();
            if (!(top instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("the version data is not a JSON object");
            }
            Object c = m.get("capabilities");
            if (c != null && !(c instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("\"capabilities\" is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> cm = c == null ? Map.of() : (Map<String, Object>) c;
            caps = cm;
        }
        StringBuilder json = new StringBuilder("{\"capabilities\":{");
        List<String> fields = new ArrayList<>();
        long fds = Math.min(number(caps, "max_msg_fds", DEFAULT_MAX_MSG_FDS), SERVER_MAX_MSG_FDS);
        if (caps.containsKey("max_msg_fds")) {
            fields.add("\"max_msg_fds\":" + fds);
        }
        long xfer = Math.min(number(caps, "max_data_xfer_size", DEFAULT_MAX_DATA_XFER), SERVER_MAX_DATA_XFER);
        if (xfer == 0) { // no REGION_READ/WRITE or DMA_READ/WRITE could carry a byte
            throw new IllegalArgumentException("max_data_xfer_size 0 would let no message carry data (vfio-user.rst: count must not exceed it)");
        }
        if (caps.containsKey("max_data_xfer_size")) {
            fields.add("\"max_data_xfer_size\":" + xfer);
        }
        long pgsizes = number(caps, "pgsizes", DEFAULT_PGSIZES) & iommuPgsizes;
        if (pgsizes == 0) {
            throw new IllegalArgumentException("the client's page sizes 0x" + Long.toHexString(number(caps, "pgsizes", DEFAULT_PGSIZES))
                    + " have none in common with the IOMMU's 0x" + Long.toHexString(iommuPgsizes));
        }
        if (caps.containsKey("pgsizes")) {
            fields.add("\"pgsizes\":" + pgsizes);
        }
        long maps = Math.min(number(caps, "max_dma_maps", DEFAULT_MAX_DMA_MAPS), dmaMapsAvailable);
        if (caps.containsKey("max_dma_maps")) {
            fields.add("\"max_dma_maps\":" + maps);
        }
        json.append(String.join(",", fields)).append("}}");
        return new Answer(fds, xfer, pgsizes, maps, json.toString());
    }

    private static long number(Map<String, Object> caps, String key, long absent) {
        Object v = caps.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Long n) || n < 0) {
            throw new IllegalArgumentException("capability \"" + key + "\" is not a non-negative integer: " + v);
        }
        return n;
    }

    /** The text of the version data after the 4 version bytes: UTF-8, up to its NUL. */
    static String text(byte[] payload, int from) {
        int end = from;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        return new String(payload, from, end - from, StandardCharsets.UTF_8);
    }

    /** A strict reader of one JSON document (RFC 8259), nested at most 32 deep. */
    static final class Reader {
        private static final int MAX_DEPTH = 32;
        private final String s;
        private int i;

        Reader(String s) {
            this.s = s;
        }

        Object document() {
            Object v = value(0);
            space();
            if (i != s.length()) {
                throw error("text after the JSON value");
            }
            return v;
        }

        private Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nested deeper than " + MAX_DEPTH);
            }
            space();
            if (i >= s.length()) {
                throw error("a value is missing");
            }
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> word("true", Boolean.TRUE);
                case 'f' -> word("false", Boolean.FALSE);
                case 'n' -> word("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            space();
            if (peek('}')) {
                i++;
                return m;
            }
            while (true) {
                space();
                if (!peek('"')) {
                    throw error("an object key must be a string");
                }
                String key = string();
                space();
                expect(':');
                m.put(key, value(depth + 1));
                space();
                if (peek(',')) {
                    i++;
                } else {
                    expect('}');
                    return m;
                }
            }
        }

        private List<Object> array(int depth) {
            List<Object> l = new ArrayList<>();
            i++;
            space();
            if (peek(']')) {
                i++;
                return l;
            }
            while (true) {
                l.add(value(depth + 1));
                space();
                if (peek(',')) {
                    i++;
                } else {
                    expect(']');
                    return l;
                }
            }
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) {
                    throw error("an unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw error("a control character in a string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    throw error("an unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("a short \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("a \\u escape that is not hexadecimal");
                        }
                        i += 4;
                    }
                    default -> throw error("an unknown escape \\" + e);
                }
            }
        }

        private Object number() {
            int start = i;
            if (peek('-')) {
                i++;
            }
            while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String t = s.substring(start, i);
            if (t.isEmpty() || t.equals("-")) {
                throw error("an unexpected character");
            }
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException notInteger) {
                try {
                    return Double.parseDouble(t);
                } catch (NumberFormatException x) {
                    throw error("a malformed number " + t);
                }
            }
        }

        private Object word(String w, Object v) {
            if (!s.startsWith(w, i)) {
                throw error("an unexpected word");
            }
            i += w.length();
            return v;
        }

        private boolean peek(char c) {
            return i < s.length() && s.charAt(i) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("'" + c + "' expected");
            }
            i++;
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("malformed JSON at character " + i + ": " + what);
        }
    }
}
