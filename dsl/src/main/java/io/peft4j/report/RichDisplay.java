package io.peft4j.report;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An object that knows how to show itself in a notebook. The Jupyter kernel renders any returned or
 * {@code display(...)}-ed value implementing this interface by sending its MIME bundle.
 *
 * <p>Keys are MIME types; values are:
 * <ul>
 *   <li>{@code text/plain}, {@code text/html}, {@code text/markdown}, {@code image/svg+xml}:
 *       a {@link String} (HTML must already be escaped by the producer);</li>
 *   <li>{@code image/png}, {@code image/jpeg}: raw {@code byte[]} (the kernel base64-encodes them)
 *       or an already base64-encoded {@link String}.</li>
 * </ul>
 * Always include a {@code text/plain} entry: it is what plain consoles and nbconvert's text
 * exporters show. This interface lives in the library so reports and charts need no kernel
 * dependency.
 */
public interface RichDisplay {

    /** MIME type to content, in preference order (first = richest); never null. */
    Map<String, Object> mimeBundle();

    /** A display of one PNG image with a text fallback. */
    static RichDisplay png(byte[] png, String altText) {
        Objects.requireNonNull(png, "png");
        return of("image/png", png.clone(), altText);
    }

    /** A display of one SVG document with a text fallback. */
    static RichDisplay svg(String svg, String altText) {
        return of("image/svg+xml", Objects.requireNonNull(svg, "svg"), altText);
    }

    /** A display of an HTML fragment (already escaped) with a text fallback. */
    static RichDisplay html(String html, String altText) {
        return of("text/html", Objects.requireNonNull(html, "html"), altText);
    }

    private static RichDisplay of(String mime, Object content, String altText) {
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put(mime, content);
        bundle.put("text/plain", altText == null ? "" : altText);
        Map<String, Object> frozen = java.util.Collections.unmodifiableMap(bundle);
        return () -> frozen;
    }
}
