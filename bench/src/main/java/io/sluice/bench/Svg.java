package io.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A small SVG line chart: latency p50/p99 per second, Sluice against native logical replication. */
final class Svg {

    private Svg() {
    }

    static void latencyOverTime(Path file, String title, TreeMap<Integer, double[]> sluice, TreeMap<Integer, double[]> nat)
            throws IOException {
        int w = 900;
        int h = 420;
        int left = 60;
        int bottom = 40;
        int top = 40;
        double maxY = 1;
        int maxX = 1;
        for (TreeMap<Integer, double[]> series : java.util.List.of(sluice, nat)) {
            for (Map.Entry<Integer, double[]> e : series.entrySet()) {
                maxY = Math.max(maxY, e.getValue()[1]);
                maxX = Math.max(maxX, e.getKey());
            }
        }
        double sx = (w - left - 20.0) / maxX;
        double sy = (h - top - bottom) / maxY;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\""
                + " font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", w, h));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s (ms; x: seconds)</text>%n", left, title));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, h - bottom, w - 20, h - bottom));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top, left, h - bottom));
        for (int i = 0; i <= 4; i++) {
            double v = maxY * i / 4;
            double y = h - bottom - v * sy;
            b.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%.1f\">%.1f</text>%n", y + 4, v));
        }
        line(b, sluice, 0, left, h - bottom, sx, sy, "#1f77b4", "6,0");
        line(b, sluice, 1, left, h - bottom, sx, sy, "#1f77b4", "4,3");
        line(b, nat, 0, left, h - bottom, sx, sy, "#d62728", "6,0");
        line(b, nat, 1, left, h - bottom, sx, sy, "#d62728", "4,3");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#1f77b4\">Sluice p50 (solid), p99 (dashed)</text>%n", left + 10, top + 12));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#d62728\">native p50 (solid), p99 (dashed)</text>%n", left + 10, top + 28));
        b.append("</svg>\n");
        Files.writeString(file, b.toString());
    }

    private static void line(StringBuilder b, TreeMap<Integer, double[]> s, int index, int x0, int y0, double sx, double sy,
                             String color, String dash) {
        StringBuilder pts = new StringBuilder();
        s.forEach((x, v) -> pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x0 + x * sx, y0 - v[index] * sy)));
        b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-dasharray=\"%s\" points=\"%s\"/>%n",
                color, dash, pts.toString().trim()));
    }
}
