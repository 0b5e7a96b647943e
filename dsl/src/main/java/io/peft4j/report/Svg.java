package io.peft4j.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A small hand-written SVG line-chart renderer (axes, ticks, lines, markers, legend; optional right axis). */
final class Svg {
    private Svg() {}

    static String render(LineChart c, int w, int h) {
        int left = 70, right = c.right().isEmpty() ? 20 : 80, top = 40, bottom = 60;
        double pw = w - left - right, ph = h - top - bottom;
        double[] xr = range(all(c.left(), true, c.right()));
        double[] yl = range(all(c.left(), false, List.of()));
        double[] yr = c.right().isEmpty() ? null : range(all(c.right(), false, List.of()));
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h, w, h));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">%s</text>\n", w / 2, Tables.escape(c.title())));
        // grid and ticks
        for (int i = 0; i <= 5; i++) {
            double fy = top + ph - ph * i / 5.0, fx = left + pw * i / 5.0;
            s.append(line(left, fy, left + pw, fy, "#dddddd", 1));
            s.append(text(left - 6, fy + 4, "end", tick(yl[0] + (yl[1] - yl[0]) * i / 5)));
            if (yr != null) s.append(text(left + pw + 6, fy + 4, "start", tick(yr[0] + (yr[1] - yr[0]) * i / 5)));
            s.append(line(fx, top, fx, top + ph, "#eeeeee", 1));
            s.append(text(fx, top + ph + 16, "middle", tick(xr[0] + (xr[1] - xr[0]) * i / 5)));
        }
        s.append(line(left, top + ph, left + pw, top + ph, "black", 1)).append(line(left, top, left, top + ph, "black", 1));
        if (yr != null) s.append(line(left + pw, top, left + pw, top + ph, "black", 1));
        s.append(text(left + pw / 2, h - 22, "middle", c.xLabel()));
        s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">%s</text>\n", top + ph / 2, top + ph / 2, Tables.escape(c.yLabel())));
        if (yr != null) s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(90 %.1f %.1f)\">%s</text>\n", w - 14.0, top + ph / 2, w - 14.0, top + ph / 2, Tables.escape(c.rightLabel())));
        // series
        List<LineChart.Series> series = new ArrayList<>(c.left());
        series.addAll(c.right());
        for (int k = 0; k < series.size(); k++) {
            LineChart.Series se = series.get(k);
            double[] yrng = k < c.left().size() ? yl : yr;
            String color = String.format(Locale.ROOT, "#%06x", Charts.PALETTE[k % Charts.PALETTE.length].getRGB() & 0xffffff);
            StringBuilder pts = new StringBuilder();
            StringBuilder marks = new StringBuilder();
            for (int i = 0; i < se.x().length; i++) {
                if (Double.isNaN(se.y()[i])) continue;
                double px = left + pw * (se.x()[i] - xr[0]) / (xr[1] - xr[0]);
                double py = top + ph - ph * (se.y()[i] - yrng[0]) / (yrng[1] - yrng[0]);
                pts.append(String.format(Locale.ROOT, "%.2f,%.2f ", px, py));
                if (se.x().length <= 40) marks.append(String.format(Locale.ROOT, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n", px, py, color));
            }
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", color, pts.toString().trim()));
            s.append(marks);
            double ly = h - 6, lx = left + k * 170;
            s.append(line(lx, ly - 4, lx + 18, ly - 4, color, 3));
            s.append(text(lx + 22, ly, "start", se.name() + (k >= c.left().size() ? " (right)" : "")));
        }
        return s.append("</svg>\n").toString();
    }

    private static List<Double> all(List<LineChart.Series> a, boolean x, List<LineChart.Series> b) {
        List<Double> v = new ArrayList<>();
        for (List<LineChart.Series> l : List.of(a, b))
            for (LineChart.Series s : l)
                for (int i = 0; i < s.x().length; i++) if (!Double.isNaN(s.y()[i])) v.add(x ? s.x()[i] : s.y()[i]);
        return v;
    }

    private static double[] range(List<Double> v) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double d : v) { lo = Math.min(lo, d); hi = Math.max(hi, d); }
        if (v.isEmpty()) { lo = 0; hi = 1; }
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * 0.05;
        return new double[]{lo - pad, hi + pad};
    }

    private static String tick(double v) {
        double a = Math.abs(v);
        if (a >= 1e6) return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        if (a >= 1e4) return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String line(double x1, double y1, double x2, double y2, String color, double width) {
        return String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.1f\"/>\n", x1, y1, x2, y2, color, width);
    }

    private static String text(double x, double y, String anchor, String t) {
        return String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">%s</text>\n", x, y, anchor, Tables.escape(t));
    }
}
