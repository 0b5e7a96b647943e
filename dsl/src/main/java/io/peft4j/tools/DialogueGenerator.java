package io.peft4j.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generates the project's own dialogue-summarization corpus ({@code datasets/dialogues}): short
 * everyday conversations with {@code #Person1#: } / {@code #Person2#: } turns and an observer-style
 * summary in DialogSum's manner.
 *
 * <p>Twelve scenarios (appointments, table reservations, food orders, travel tickets, returns,
 * directions, clothes shopping, repairs, job interviews, the library, hotel check-in, weekend plans)
 * each draw names, days, times, quantities, prices and places, choose among several wordings per
 * turn and per summary, vary the number of turns, and decide who speaks first (so which tag is the
 * customer varies). The summary reports the outcome that the dialogue reaches (an offered
 * alternative time, a refund or an exchange, the total price), so it cannot be produced without
 * reading the dialogue.
 *
 * <p>Deterministic: {@link java.util.Random} with a fixed seed per split; files are written with
 * {@code \n} line ends and a hand-written JSON escaper (ASCII output). Run
 * {@code java -cp ... io.peft4j.tools.DialogueGenerator [outDir]} (default {@code datasets/dialogues}).
 */
public final class DialogueGenerator {
    public static final long SEED = 20_240_611L;
    public static final int TRAIN = 5000, DEV = 500, TEST = 500;

    /** One generated record. */
    public record Record(String fname, String dialogue, String summary, String topic) {}

    private DialogueGenerator() {}

    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : "datasets/dialogues");
        write(out);
        System.out.println("wrote " + TRAIN + " train, " + DEV + " dev, " + TEST + " test dialogues to " + out.toAbsolutePath());
    }

    /** Writes train.jsonl, dev.jsonl and test.jsonl into {@code dir} (each atomically). */
    public static void write(Path dir) {
        try {
            Files.createDirectories(dir);
            writeJsonl(dir.resolve("train.jsonl"), generate("train", TRAIN, SEED));
            writeJsonl(dir.resolve("dev.jsonl"), generate("dev", DEV, SEED + 1));
            writeJsonl(dir.resolve("test.jsonl"), generate("test", TEST, SEED + 2));
        } catch (IOException e) {
            throw new UncheckedIOException("writing dialogues to " + dir, e);
        }
    }

    /** {@code n} records named {@code <split>_<i>}. */
    public static List<Record> generate(String split, int n, long seed) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        Random rnd = new Random(seed);
        List<Record> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Scene s = new Scene(new Random(rnd.nextLong()));
            SCENARIOS[s.r.nextInt(SCENARIOS.length)].make(s);
            if (s.chance(0.35)) {   // a closing exchange
                s.a(s.p("Thanks again for your help.|Thank you for your time.|Thanks, bye.|Great, thanks a lot."));
                s.b(s.p("You're welcome. Have a nice day!|My pleasure. Goodbye.|No problem, bye now.|Take care."));
            }
            out.add(s.finish(split + "_" + i));
        }
        return out;
    }

    static void writeJsonl(Path file, List<Record> records) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Record rec : records) {
                w.write("{\"fname\": " + json(rec.fname()) + ", \"dialogue\": " + json(rec.dialogue())
                    + ", \"summary\": " + json(rec.summary()) + ", \"topic\": " + json(rec.topic()) + "}\n");
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20 || c > 0x7e) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    // ------------------------------------------------------------------------------------------
    // the scene builder: turns by role A / B; the first speaker becomes #Person1#

    static final class Scene {
        final Random r;
        final List<String[]> turns = new ArrayList<>();
        String summary, topic;

        Scene(Random r) { this.r = r; }

        void a(String text) { turns.add(new String[]{"A", hedge(text)}); }
        void b(String text) { turns.add(new String[]{"B", hedge(text)}); }

        /** Sometimes adds a conversational filler before or after a turn (surface variety, length). */
        private String hedge(String text) {
            double x = r.nextDouble();
            if (x < 0.10) return p("Well, |Oh, |Hmm, |OK, |Right, |Let me see. |Alright. ") + (text.startsWith("I ") || text.startsWith("I'") ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1));
            if (x < 0.18 && text.endsWith(".") && !text.toLowerCase(Locale.ROOT).contains("thank")) return text + p(" Thanks.| Is that alright?| I hope that's OK.| That would be great.| Thank you so much.| Sorry for the trouble.");
            return text;
        }
        void say(boolean roleA, String text) { if (roleA) a(text); else b(text); }

        /** One of the '|'-separated alternatives. */
        String p(String alternatives) {
            String[] alts = alternatives.split("\\|", -1);
            return alts[r.nextInt(alts.length)];
        }
        <T> T pick(T[] xs) { return xs[r.nextInt(xs.length)]; }
        int between(int lo, int hi) { return lo + r.nextInt(hi - lo + 1); }
        boolean chance(double prob) { return r.nextDouble() < prob; }

        Record finish(String id) {
            String first = turns.get(0)[0];
            String tagA = first.equals("A") ? "#Person1#" : "#Person2#";
            String tagB = first.equals("A") ? "#Person2#" : "#Person1#";
            StringBuilder d = new StringBuilder();
            String last = null;
            for (String[] t : turns) {
                if (t[0].equals(last)) d.append(' ');   // consecutive turns of one speaker form one turn
                else {
                    if (d.length() > 0) d.append('\n');
                    d.append(t[0].equals("A") ? tagA : tagB).append(": ");
                }
                d.append(fill(t[1], tagA, tagB));
                last = t[0];
            }
            String s = fill(summary, tagA, tagB);
            s = Character.toUpperCase(s.charAt(0)) + s.substring(1);
            return new Record(id, d.toString(), s, topic);
        }

        private static String fill(String text, String tagA, String tagB) {
            return text.replace("{A}", tagA).replace("{B}", tagB);
        }
    }

    interface Scenario { void make(Scene s); }

    // ------------------------------------------------------------------------------------------
    // vocabulary

    static final String[] FIRST = {"Amy", "Ben", "Carla", "David", "Emma", "Frank", "Grace", "Henry", "Iris", "Jack",
        "Karen", "Leo", "Maria", "Nick", "Olivia", "Paul", "Rosa", "Sam", "Tina", "Victor", "Wendy", "Yusuf",
        "Zoe", "Hannah", "Omar", "Lucy", "Peter", "Mei", "Raj", "Sofia", "Tom", "Anna", "Kevin", "Nora", "Diego", "Julia"};
    static final String[] LAST = {"Smith", "Brown", "Lee", "Garcia", "Miller", "Wilson", "Chen", "Taylor", "Moore",
        "Clark", "Lewis", "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Adams", "Baker", "Patel", "Kim"};
    static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    static final String[] NUM = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve"};

    static String num(Scene s, int n) { return n <= 12 && s.chance(0.5) ? NUM[n] : Integer.toString(n); }

    /** A clock time; {@code spoken} is how a speaker may say it, {@code text} how the summary writes it. */
    record Time(int hour, int minute) {
        String text() { return hour12() + (minute == 0 ? "" : ":" + (minute < 10 ? "0" : "") + minute) + (hour < 12 ? " am" : " pm"); }
        int hour12() { int h = hour % 12; return h == 0 ? 12 : h; }
        String spoken(Scene s) {
            if (minute == 30 && s.chance(0.3)) return "half past " + NUM[hour12()];
            if (minute == 0 && s.chance(0.3)) return NUM[hour12()] + " o'clock";
            return text();
        }
        Time plus(int minutes) { int t = hour * 60 + minute + minutes; return new Time(t / 60 % 24, t % 60); }
    }

    static Time time(Scene s, int fromHour, int toHour) {
        return new Time(s.between(fromHour, toHour), s.pick(new Integer[]{0, 0, 15, 30, 30, 45}));
    }

    static String money(int cents) {
        return cents % 100 == 0 ? "$" + cents / 100 : String.format(Locale.ROOT, "$%d.%02d", cents / 100, cents % 100);
    }

    static String day(Scene s) {
        String d = s.pick(DAYS);
        return s.chance(0.25) ? "next " + d : s.chance(0.2) ? "this " + d : d;
    }

    static String name(Scene s) { return s.pick(FIRST) + " " + s.pick(LAST); }

    static String cap(String x) { return Character.toUpperCase(x.charAt(0)) + x.substring(1); }

    static String plural(int n, String one, String many) { return n == 1 ? one : many; }

    // ------------------------------------------------------------------------------------------
    // scenarios

    static final Scenario[] SCENARIOS = {
        DialogueGenerator::appointment, DialogueGenerator::reservation, DialogueGenerator::foodOrder,
        DialogueGenerator::travel, DialogueGenerator::returnItem, DialogueGenerator::directions,
        DialogueGenerator::clothes, DialogueGenerator::repair, DialogueGenerator::interview,
        DialogueGenerator::library, DialogueGenerator::hotel, DialogueGenerator::weekendPlans,
    };

    static void appointment(Scene s) {
        String[][] places = {{"City Dental", "the dentist", "a toothache|a cleaning|a broken filling"},
            {"Green Street Clinic", "the doctor", "a bad cough|a sore back|a check-up|a high fever"},
            {"Style Studio", "the hair salon", "a haircut|a hair colour|a trim"},
            {"Happy Paws Vet", "the vet", "a vaccination for the dog|a limping cat|a check-up for the puppy"}};
        String[] pl = s.pick(places);
        String reason = s.p(pl[2]);
        String day = day(s);
        Time want = time(s, 9, 17);
        boolean free = s.chance(0.45);
        Time got = free ? want : want.plus(s.pick(new Integer[]{-90, -60, 60, 90, 120}));
        if (s.chance(0.5)) s.b(s.p("Good morning, " + pl[0] + ". How can I help you?|" + pl[0] + ", this is the front desk speaking.|Hello, " + pl[0] + ". What can I do for you?"));
        s.a(s.p("Hi, I'd like to make an appointment|Hello, I need to book an appointment|Hi, I'd like to see someone") + " for " + reason + ".");
        s.b(s.p("Of course. When would suit you?|Sure. What day works for you?|Let me check. When would you like to come in?"));
        s.a(s.p("Is " + day + " at " + want.spoken(s) + " possible?|Could I come " + day + " at " + want.spoken(s) + "?|" + cap(day) + " around " + want.spoken(s) + " would be great."));
        boolean declinedFirst = false;
        if (free) {
            s.b(s.p("Yes, " + want.text() + " is free.|Let me see... yes, we can fit you in then.|That works, I have an opening."));
        } else {
            s.b(s.p("I'm sorry, " + want.text() + " is already taken. How about " + got.spoken(s) + "?|That slot is booked, but " + got.text() + " is open.|We're full then. The closest I have is " + got.spoken(s) + "."));
            declinedFirst = s.chance(0.25);
            if (declinedFirst) {
                day = s.pick(DAYS);
                got = time(s, 9, 17);
                s.a(s.p("That doesn't work for me. Anything on " + day + "?|I can't make that. What about " + day + "?"));
                s.b(s.p("On " + day + " I can offer " + got.spoken(s) + ".|" + cap(day) + " at " + got.text() + " is available."));
            }
            s.a(s.p("OK, I'll take it.|Fine, that works.|Alright, " + got.text() + " then."));
        }
        if (s.chance(0.4)) {
            s.b(s.p("Have you been to " + pl[0] + " before?|Are you a new patient?|Is this your first visit with us?"));
            s.a(s.p("Yes, a few times.|No, this is my first time.|I came once last year."));
        }
        String who = null;
        if (s.chance(0.6)) {
            who = name(s);
            s.b(s.p("May I have your name, please?|Can I get your name?|And your name?"));
            s.a(s.p("It's " + who + ".|" + who + ".|My name is " + who + "."));
        }
        String tip = s.p("please arrive ten minutes early|bring your insurance card|call us if you need to cancel|we'll send you a reminder the day before");
        if (s.chance(0.7)) s.b(s.p("Great. " + cap(tip) + ".|You're booked. " + cap(tip) + ".|All set. Just " + tip + "."));
        if (s.chance(0.5)) s.a(s.p("Thank you.|Thanks a lot, bye.|Great, see you then."));
        String subj = who != null && s.chance(0.3) ? who : "{A}";
        String when = day + " at " + got.text();
        if (free) s.summary = s.p(subj + " makes an appointment with " + pl[1] + " for " + reason + " on " + when + ".|"
            + subj + " calls " + pl[0] + " about " + reason + " and gets an appointment on " + when + ".|"
            + subj + " books " + when + " at " + pl[0] + " for " + reason + ".");
        else if (!declinedFirst) s.summary = s.p(subj + " wants to see " + pl[1] + " at " + want.text() + " for " + reason + ", but {B} offers " + got.text() + " instead and " + subj + " agrees.|"
            + subj + " asks " + pl[0] + " for " + want.text() + ". It is taken, so " + subj + " accepts " + got.text() + " " + day + ".");
        else s.summary = s.p(subj + " calls " + pl[0] + " about " + reason + ". After declining another time, " + subj + " books " + when + ".|"
            + subj + " can't take the first time {B} offers and gets an appointment on " + when + " instead.");
        s.topic = s.p("make an appointment|appointment|booking an appointment");
    }

    static void reservation(Scene s) {
        String rest = s.pick(new String[]{"Luigi's", "the Golden Dragon", "Blue Harbor", "Cafe Marie", "the Olive Tree", "Sakura House"});
        int n = s.between(2, 12);
        String day = day(s);
        Time want = time(s, 18, 21);
        boolean free = s.chance(0.5);
        Time got = free ? want : want.plus(s.pick(new Integer[]{-60, -30, 30, 60}));
        String seat = s.pick(new String[]{null, null, "by the window", "on the terrace", "in a quiet corner", "near the fireplace"});
        String occasion = s.pick(new String[]{null, null, null, "a birthday", "an anniversary", "a business dinner"});
        String who = s.pick(LAST);
        boolean staffFirst = s.chance(0.5);
        if (staffFirst) s.b(s.p("Good evening, " + rest + ". How may I help you?|Thank you for calling " + rest + ".|" + cap(rest) + ", hello."));
        s.a(s.p("I'd like to book a table for " + num(s, n) + " " + day + ".|Hi, can I reserve a table for " + num(s, n) + " people, " + day + "?|Do you have a table for " + num(s, n) + " on " + day + "?"));
        s.b(s.p("What time would you like?|For what time?|Certainly. At what time?"));
        s.a(s.p("Around " + want.spoken(s) + ".|" + cap(want.spoken(s)) + ", if possible.|At " + want.spoken(s) + ", please."));
        if (free) s.b(s.p("That's fine, we have a table then.|No problem, " + want.text() + " is available."));
        else {
            s.b(s.p("Sorry, we're fully booked at " + want.text() + ". Would " + got.spoken(s) + " be OK?|I only have " + got.text() + " left that evening.|" + cap(want.text()) + " is taken, but I could do " + got.spoken(s) + "."));
            s.a(s.p("Sure, " + got.text() + " is fine.|OK, we'll come at " + got.text() + ".|That works."));
        }
        if (seat != null) { s.a(s.p("Could we sit " + seat + "?|Is it possible to have a table " + seat + "?")); s.b(s.p("I'll note that down.|Yes, I'll reserve one " + seat + ".")); }
        if (occasion != null) { s.a(s.p("It's for " + occasion + ", by the way.|We're celebrating " + occasion + ".")); s.b(s.p("Lovely, we'll make it special.|How nice. I'll let the staff know.")); }
        s.b(s.p("Under what name?|Can I have a name for the booking?|What name should I put it under?"));
        s.a(s.p(who + ", please.|Put it under " + who + ".|The name is " + who + "."));
        if (s.chance(0.5)) s.b(s.p("See you " + day + ".|Thank you, Mr. " + who + ".|You're all set."));
        String base = s.p("{A} books a table for " + n + " at " + rest + " " + (day.startsWith("next") || day.startsWith("this") ? day : "on " + day) + " at " + got.text()
            + "|{A} reserves a table at " + rest + " for " + n + " people at " + got.text() + " " + day);
        if (!free) base = s.p("{A} wants a table for " + n + " at " + want.text() + ", but {B} offers " + got.text() + " and {A} accepts|"
            + "{A} asks " + rest + " for a table for " + n + " at " + want.text() + " and settles for " + got.text());
        StringBuilder sum = new StringBuilder(base);
        if (seat != null && occasion == null) sum.append(", ").append(seat);
        sum.append(". ");
        if (occasion != null) sum.append(s.p("It's for " + occasion + ". |They are celebrating " + occasion + ". "));
        sum.append(s.p("The booking is under " + who + ".|The name is " + who + "."));
        s.summary = sum.toString();
        s.topic = s.p("restaurant reservation|book a table|reservation");
    }

    static void foodOrder(Scene s) {
        String[][] menu = {{"cheese pizza", "1100", "cheese pizzas"}, {"chicken burger", "850", "chicken burgers"}, {"veggie wrap", "700", "veggie wraps"},
            {"bowl of soup", "550", "bowls of soup"}, {"Caesar salad", "750", "Caesar salads"}, {"ham sandwich", "600", "ham sandwiches"},
            {"portion of fries", "350", "portions of fries"}, {"plate of noodles", "1200", "plates of noodles"}};
        String[][] drinks = {{"cola", "250", "colas"}, {"lemonade", "300", "lemonades"}, {"coffee", "280", "coffees"},
            {"orange juice", "320", "orange juices"}, {"green tea", "240", "green teas"}};
        String[] f1 = s.pick(menu);
        String[] f2 = s.pick(menu);
        if (f2 == f1) f2 = null;
        String[] dr = s.chance(0.7) ? s.pick(drinks) : null;
        int q1 = s.between(1, 3), q2 = s.between(1, 2), qd = s.between(1, 3);
        int total = q1 * Integer.parseInt(f1[1]) + (f2 == null ? 0 : q2 * Integer.parseInt(f2[1])) + (dr == null ? 0 : qd * Integer.parseInt(dr[1]));
        boolean takeaway = s.chance(0.5);
        String pay = s.p("card|cash");
        if (s.chance(0.6)) s.b(s.p("Hi, what can I get you?|Are you ready to order?|Welcome! What would you like?"));
        String items = num(s, q1) + " " + (q1 > 1 ? f1[2] : f1[0]);
        s.a(s.p("I'll have " + items + ", please.|Can I get " + items + "?|I'd like " + items + "."));
        String sumItems = q1 + " " + (q1 > 1 ? f1[2] : f1[0]);
        if (f2 != null && s.chance(0.7)) {
            s.b(s.p("Anything else?|Something else with that?|Would you like anything else?"));
            s.a(s.p("Yes, " + num(s, q2) + " " + (q2 > 1 ? f2[2] : f2[0]) + " too.|And " + num(s, q2) + " " + (q2 > 1 ? f2[2] : f2[0]) + "."));
            sumItems += (dr == null ? " and " : ", ") + q2 + " " + (q2 > 1 ? f2[2] : f2[0]);
        } else {
            total -= f2 == null ? 0 : q2 * Integer.parseInt(f2[1]);
        }
        if (dr != null) {
            s.b(s.p("Something to drink?|And to drink?|Any drinks?"));
            s.a(s.p(cap(num(s, qd)) + " " + (qd > 1 ? dr[2] : dr[0]) + ", please.|" + cap(num(s, qd)) + " " + (qd > 1 ? dr[2] : dr[0]) + "."));
            sumItems += " and " + qd + " " + (qd > 1 ? dr[2] : dr[0]);
        } else if (s.chance(0.5)) {
            s.b("Something to drink?");
            s.a(s.p("No, thanks.|Just water, thanks."));
        }
        s.b(s.p("For here or to go?|Eat in or take away?|Will you eat here?"));
        s.a(takeaway ? s.p("To go, please.|Take away.|I'll take it with me.") : s.p("For here.|We'll eat here.|Eat in, please."));
        s.b(s.p("That comes to " + money(total) + ".|Your total is " + money(total) + ".|That's " + money(total) + " altogether."));
        s.a(pay.equals("card") ? s.p("Can I pay by card?|Here's my card.|Card, please.") : s.p("Here's " + money((total / 500 + 1) * 500) + " in cash.|I'll pay cash."));
        if (s.chance(0.5)) s.b(s.p("Thank you. It'll be ready in " + num(s, s.between(5, 15)) + " minutes.|Thanks, please wait for your number.|Enjoy your meal."));
        s.summary = s.p("{A} orders " + sumItems + (takeaway ? " to take away" : " to eat in") + " and pays " + money(total) + (pay.equals("cash") ? " in cash" : " by card") + ".|"
            + "{A} buys " + sumItems + (takeaway ? " to go" : " to eat there") + ". The bill is " + money(total) + ", paid " + (pay.equals("cash") ? "in cash" : "by card") + ".");
        s.topic = s.p("order food|ordering food|fast food");
    }

    static void travel(Scene s) {
        String mode = s.p("train|bus|flight");
        String city = s.pick(new String[]{"Boston", "Chicago", "Seattle", "Denver", "Toronto", "Dallas", "Miami", "Portland", "Atlanta"});
        int n = s.between(1, 5);
        boolean ret = s.chance(0.5);
        String cls = mode.equals("flight") ? s.p("economy|economy|business") : s.p("standard|standard|first class");
        int each = (mode.equals("flight") ? s.between(12, 45) * 10 : s.between(3, 15) * 5) * 100 * (ret ? 2 : 1) * (cls.equals("business") || cls.equals("first class") ? 2 : 1);
        String day = day(s);
        Time dep = time(s, 6, 21);
        boolean earlier = s.chance(0.3);
        Time alt = dep.plus(-s.between(2, 6) * 30);
        if (s.chance(0.4)) s.b(s.p("Next, please. Where are you going?|Good afternoon, how can I help?|Hello, ticket office."));
        String tickets = num(s, n) + " " + plural(n, "ticket", "tickets");
        s.a(s.p("I need " + tickets + " to " + city + " for " + day + ".|I'd like to book " + tickets + " to " + city + ", " + day + ", please.|Can I get " + tickets + " on the " + mode + " to " + city + " " + day + "?"));
        s.b(s.p("One-way or return?|Single or return?|Are you coming back?"));
        s.a(ret ? s.p("Return, please.|Return.|We're coming back, so return.") : s.p("One-way.|Just one-way, please.|Only one way."));
        s.b(s.p("There's a " + mode + " at " + dep.spoken(s) + ". Is that OK?|The next " + mode + " leaves at " + dep.text() + ".|I have a " + mode + " departing at " + dep.spoken(s) + "."));
        Time go = dep;
        if (earlier) {
            s.a(s.p("Is there anything earlier?|Do you have an earlier one?|That's a bit late. Anything before that?"));
            s.b(s.p("Yes, one at " + alt.text() + ".|There's also " + alt.spoken(s) + "."));
            s.a(s.p("I'll take the " + alt.text() + " one.|Great, that one then."));
            go = alt;
        } else s.a(s.p("That's fine.|Perfect.|OK, that works."));
        if (mode.equals("flight") && s.chance(0.5)) {
            s.b(s.p("Window or aisle seat?|Do you have a seat preference?"));
            s.a(s.p("Window, please.|An aisle seat, if possible.|I don't mind."));
        }
        s.b(s.p("In " + cls + "?|Which class?|Would you like " + cls + "?"));
        s.a(s.p(cap(cls) + ", please.|" + cap(cls) + " is fine.|Yes, " + cls + "."));
        int total = each * n;
        s.b(s.p((n > 1 ? "That's " + money(each) + " each, " + money(total) + " in total." : "That's " + money(total) + ".") + "|The total is " + money(total) + "."));
        if (s.chance(0.6)) s.a(s.p("Here you are.|OK, here's my card.|Fine."));
        String t = n + " " + cls + " " + (ret ? "return " : "one-way ") + plural(n, "ticket", "tickets");
        s.summary = s.p("{A} buys " + t + " to " + city + " for the " + go.text() + " " + mode + " " + day + ". It costs " + money(total) + ".|"
            + "{A} books " + t + " to " + city + " on " + day.replace("next ", "next ").replace("this ", "this ") + (earlier ? ", choosing an earlier " + mode + " at " + go.text() : " at " + go.text()) + ", for " + money(total) + ".");
        s.topic = s.p("buy tickets|travel|ticket booking");
    }

    static void returnItem(Scene s) {
        String[][] items = {{"jacket", "too small|the wrong colour|torn at the seam"}, {"pair of shoes", "too tight|uncomfortable|the wrong size"},
            {"kettle", "broken|leaking|not heating"}, {"pair of headphones", "broken|crackling on one side|not charging"},
            {"lamp", "flickering|broken|the wrong colour"}, {"sweater", "too big|shrinking after one wash|itchy"}};
        String[] it = s.pick(items);
        String why = s.p(it[1]);
        int days = s.between(2, 40);
        boolean receipt = s.chance(0.7);
        boolean tooOld = days > 30;
        String outcome;
        if (s.chance(0.4)) s.b(s.p("Hello, can I help you?|Customer service, how can I help?|Hi there, what can I do for you?"));
        s.a(s.p("I'd like to return this " + it[0] + ". It's " + why + ".|I bought this " + it[0] + " here, but it's " + why + ".|Can I return this " + it[0] + "? It's " + why + "."));
        s.b(s.p("When did you buy it?|How long ago did you buy it?|Do you know when you bought it?"));
        s.a(s.p(cap(num(s, days)) + " days ago.|About " + num(s, days) + " days ago.|" + (days <= 7 ? "Last week." : cap(num(s, days)) + " days ago, I think.")));
        s.b(s.p("Do you have the receipt?|Have you got the receipt?|Can I see the receipt?"));
        s.a(receipt ? s.p("Yes, here it is.|Here you go.|Yes, I kept it.") : s.p("No, I'm afraid I lost it.|Sorry, I threw it away.|I can't find it."));
        if (tooOld) {
            s.b(s.p("I'm sorry, returns are only accepted within 30 days.|That's past our 30-day return period, so I can't take it back."));
            outcome = s.chance(0.5) ? "refused" : "repair";
            if (outcome.equals("repair")) { s.b(s.p("But we can send it for repair.|We could send it to be repaired, though.")); s.a(s.p("OK, let's do that.|Fine, please do.")); }
            else s.a(s.p("That's disappointing.|Oh well, never mind.|I see."));
        } else if (!receipt) {
            s.b(s.p("Without a receipt I can only give you store credit.|I can offer store credit, but no refund without a receipt."));
            s.a(s.p("Store credit is fine.|OK, I'll take that.|Alright."));
            outcome = "credit";
        } else {
            boolean exchange = s.chance(0.4);
            s.b(s.p("Would you like a refund or an exchange?|We can refund you or swap it for another one.|Do you want your money back or a replacement?"));
            s.a(exchange ? s.p("I'd rather exchange it.|A new one, please.|I'll swap it.") : s.p("A refund, please.|I'd like my money back.|Refund, please."));
            outcome = exchange ? "exchange" : "refund";
            if (!exchange) s.b(s.p("The money will be back on your card in a few days.|OK, I've refunded it to your card."));
            else s.b(s.p("Here's a new one.|Let me get you another one."));
        }
        String base = "{A} " + s.p("wants to return|brings back") + " a " + it[0] + " that is " + why + ", bought " + days + " days ago";
        s.summary = switch (outcome) {
            case "refused" -> base + ". {B} refuses because it is past the 30-day limit.";
            case "repair" -> base + ". It is too late for a return, so {B} " + s.p("offers a repair|sends it for repair") + ".";
            case "credit" -> base + ". {A} has no receipt, so {A} " + s.p("gets store credit|accepts store credit") + ".";
            case "exchange" -> base + ", and " + s.p("exchanges it for a new one|gets a replacement") + ".";
            default -> base + ", and " + s.p("gets a refund|gets the money back on the card") + ".";
        };
        s.topic = s.p("return an item|returns|shopping");
    }

    static void directions(Scene s) {
        String place = s.pick(new String[]{"the train station", "the post office", "the city museum", "the nearest pharmacy", "the public library",
            "the bus terminal", "the town hall", "the hospital", "the art gallery"});
        int blocks = s.between(1, 4);
        String turn = s.p("left|right");
        String landmark = s.pick(new String[]{"the bank", "the traffic lights", "the church", "the big supermarket", "the fountain", "the bakery", "the gas station"});
        String next = s.pick(new String[]{"a cinema", "a park", "a hotel", "a bookshop", "a cafe"});
        int minutes = s.between(3, 25);
        boolean bus = minutes > 15 && s.chance(0.6);
        int busNo = s.between(2, 48);
        if (s.chance(0.3)) s.b(s.p("You look lost. Can I help you?|Are you looking for something?|Do you need help finding your way?"));
        s.a(s.p("Excuse me, could you tell me how to get to " + place + "?|Sorry to bother you, where is " + place + "?|Excuse me, I'm looking for " + place + ".|Hi, do you know the way to " + place + "?"));
        if (s.chance(0.3)) { s.b(s.p("Are you walking?|On foot?|Do you have a car?")); s.a(s.p("Yes, I'm walking.|On foot, yes.|No car, I'm walking.")); }
        s.b(s.p("Go straight for " + num(s, blocks) + " " + plural(blocks, "block", "blocks") + " and turn " + turn + " at " + landmark + ".|"
            + "Walk " + num(s, blocks) + " " + plural(blocks, "block", "blocks") + " down this street, then turn " + turn + " at " + landmark + ".|"
            + "Keep going straight until " + landmark + ", about " + num(s, blocks) + " " + plural(blocks, "block", "blocks") + ", and take a " + turn + "."));
        s.b(s.p("It's next to " + next + ".|You'll see it beside " + next + ".|It's right across from " + next + "."));
        s.a(s.p("How long does it take?|Is it far?|How far is it?"));
        s.b(s.p("About " + num(s, minutes) + " minutes on foot.|Around " + num(s, minutes) + " minutes' walk.|Maybe " + num(s, minutes) + " minutes."));
        if (bus) {
            s.b(s.p("You could also take the number " + busNo + " bus.|The " + busNo + " bus goes there too."));
            s.a(s.p("I think I'll take the bus.|Thanks, the bus sounds easier."));
        } else s.a(s.p("Great, thank you very much.|Thanks a lot!|Thank you, that's very kind."));
        String route = "turn " + turn + " at " + landmark + " after " + blocks + " " + plural(blocks, "block", "blocks");
        s.summary = bus
            ? s.p("{A} asks the way to " + place + ". {B} says it's " + minutes + " minutes on foot, so {A} will take bus " + busNo + ".|"
                + "{B} tells {A} how to reach " + place + ", next to " + next + ", and suggests the number " + busNo + " bus.")
            : s.p("{A} asks for directions to " + place + ". {B} tells {A} to " + route + "; it's next to " + next + ".|"
                + "{B} explains that " + place + " is about " + minutes + " minutes away: " + route + ".");
        s.topic = s.p("ask for directions|directions|ask the way");
    }

    static void clothes(Scene s) {
        String item = s.pick(new String[]{"shirt", "dress", "coat", "pair of jeans", "skirt", "jacket", "sweater"});
        String color = s.pick(new String[]{"blue", "black", "red", "green", "grey", "white", "brown"});
        String size = s.pick(new String[]{"small", "medium", "large", "extra large"});
        int price = s.between(3, 24) * 500 - (s.chance(0.5) ? 1 : 0);
        int off = s.pick(new Integer[]{0, 0, 10, 20, 30, 50});
        int pay = price * (100 - off) / 100;
        boolean hasSize = s.chance(0.75);
        boolean buys = hasSize && (off > 0 || s.chance(0.6));
        String alt = s.pick(new String[]{"navy", "beige", "pink", "dark green", "purple"});
        if (s.chance(0.5)) s.b(s.p("Can I help you find something?|Hello, are you looking for anything special?|Hi, let me know if you need help."));
        s.a(s.p("Do you have this " + item + " in " + color + "?|I'm looking for a " + color + " " + item + ".|I like this " + item + ". Is there a " + color + " one?"));
        s.b(s.p("What size are you?|Which size do you need?|What size?"));
        s.a(s.p(cap(size) + ".|I'm a " + size + ".|" + cap(size) + ", I think."));
        if (!hasSize) {
            s.b(s.p("Sorry, we don't have " + size + " in " + color + ". We have it in " + alt + ".|" + cap(color) + " is sold out in " + size + ", but there's " + alt + "."));
            s.a(s.p("No, I really wanted " + color + ". Thanks anyway.|Hmm, I'll think about it.|I'll come back another time."));
            s.summary = s.p("{A} wants a " + color + " " + item + " in " + size + ", but {B} only has it in " + alt + ", so {A} doesn't buy it.|"
                + "{A} looks for a " + size + " " + color + " " + item + ". It's out of stock, and {A} leaves without buying.");
        } else {
            s.b(s.p("Here you are. The fitting room is over there.|Yes, here's a " + size + ". Would you like to try it on?"));
            if (s.chance(0.6)) s.a(s.p("It fits well. How much is it?|It fits perfectly. What's the price?|How much does it cost?"));
            else s.a("How much is it?");
            if (off > 0) s.b(s.p("It's " + money(price) + ", but it's " + off + "% off today, so " + money(pay) + ".|Normally " + money(price) + ". With the " + off + "% discount it's " + money(pay) + "."));
            else s.b(s.p("It's " + money(price) + ".|That one is " + money(price) + "."));
            if (buys) s.a(s.p("Great, I'll take it.|OK, I'll buy it.|I'll take it, thanks."));
            else s.a(s.p("That's more than I wanted to spend.|Hmm, that's too expensive for me.|I'll leave it, thanks."));
            String what = "a " + size + " " + color + " " + item;
            if (buys) s.summary = off > 0
                ? s.p("{A} buys " + what + " for " + money(pay) + " after a " + off + "% discount.|{A} tries on " + what + " and buys it at " + off + "% off for " + money(pay) + ".")
                : s.p("{A} buys " + what + " for " + money(price) + ".|{A} tries on " + what + ", which costs " + money(price) + ", and takes it.");
            else s.summary = s.p("{A} tries on " + what + " but thinks " + money(pay) + " is too expensive and doesn't buy it.|"
                + "{A} likes " + what + " but decides not to buy it because it costs " + money(pay) + ".");
        }
        s.topic = s.p("shopping|buy clothes|clothes shopping");
    }

    static void repair(Scene s) {
        String[][] things = {{"washing machine", "won't drain|makes a loud noise|leaks water"}, {"heater", "doesn't turn on|smells of burning|is making clicking sounds"},
            {"fridge", "isn't cold enough|is leaking|keeps beeping"}, {"laptop", "has a cracked screen|won't charge|keeps shutting down"},
            {"kitchen sink", "is blocked|is dripping all the time"}, {"air conditioner", "blows warm air|is very noisy"}};
        String[] th = s.pick(things);
        String problem = s.p(th[1]);
        String day = day(s);
        Time t = time(s, 8, 17);
        int cost = s.between(4, 30) * 1000;
        boolean parts = s.chance(0.4);
        boolean takeIn = th[0].equals("laptop");
        int since = s.between(1, 6);
        if (s.chance(0.4)) s.b(s.p("Hello, Quick Fix Repairs.|FixIt Services, how can I help?|Repair desk, good morning."));
        s.a(s.p("My " + th[0] + " " + problem + ".|Hi, I have a problem. The " + th[0] + " " + problem + ".|Hello. Our " + th[0] + " " + problem + " and I need someone to look at it."));
        s.b(s.p("How long has it been like this?|Since when?|When did it start?"));
        s.a(s.p("For about " + num(s, since) + " " + plural(since, "day", "days") + ".|It started " + (since == 1 ? "yesterday" : num(s, since) + " days ago") + "."));
        if (takeIn) s.b(s.p("You can bring it in " + day + " at " + t.spoken(s) + ".|Bring it to the shop " + day + ", around " + t.text() + "."));
        else s.b(s.p("I can send a technician " + day + " at " + t.spoken(s) + ".|Our technician can come " + day + " at " + t.text() + ".|Someone can come by " + day + " around " + t.spoken(s) + "."));
        if (!takeIn && s.chance(0.5)) {
            s.b(s.p("What's your address?|Can I have your address, please?|Where do you live?"));
            s.a(s.p("It's " + s.between(2, 180) + " " + s.pick(new String[]{"Elm Street", "Oak Avenue", "Park Road", "Hill Lane", "Maple Drive"}) + "."));
        }
        s.a(s.p("That's fine. How much will it cost?|OK. Roughly how much will it be?|Good. What will it cost?"));
        s.b(s.p("Probably around " + money(cost) + (parts ? ", plus parts if we need any." : ".") + "|It's usually about " + money(cost) + (parts ? ", not counting new parts." : ".")));
        if (s.chance(0.6)) s.a(s.p("OK, let's do it.|Alright, please book it.|Fine, thank you."));
        String costS = money(cost) + (parts ? " plus parts" : "");
        s.summary = takeIn
            ? s.p("{A}'s laptop " + problem + ". {B} asks {A} to bring it in " + day + " at " + t.text() + "; the repair costs about " + costS + ".|"
                + "{A} will take the laptop, which " + problem + ", to the shop " + day + ". It should cost around " + costS + ".")
            : s.p("{A}'s " + th[0] + " " + problem + ". {B} will send a technician " + day + " at " + t.text() + " and estimates " + costS + ".|"
                + "{A} reports that the " + th[0] + " " + problem + ". A technician comes " + day + " at " + t.text() + "; it costs about " + costS + ".");
        s.topic = s.p("repair|home repair|fix something");
    }

    static void interview(Scene s) {
        String job = s.pick(new String[]{"sales assistant", "accountant", "software developer", "nurse", "graphic designer", "chef", "teacher", "marketing manager"});
        String prev = s.pick(new String[]{"a bank", "a small startup", "a hospital", "a hotel", "a supermarket chain", "a design agency", "a school"});
        int years = s.between(1, 12);
        String skill = s.pick(new String[]{"working in a team", "dealing with customers", "managing projects", "solving problems", "speaking Spanish", "meeting deadlines"});
        String start = s.p("next month|in two weeks|immediately|in March|after the summer");
        boolean second = s.chance(0.6);
        int salary = s.between(30, 95);
        String who = name(s);
        s.b(s.p("Please have a seat. So you're applying for the " + job + " position.|Thanks for coming in. Let's talk about the " + job + " job.|Good morning, " + who.split(" ")[0] + ". You applied to be our new " + job + "."));
        s.a(s.p("Yes, that's right.|Yes, I'm very interested in it.|That's correct."));
        s.b(s.p("Tell me about your experience.|What have you been doing so far?|What's your background?"));
        s.a(s.p("I've worked at " + prev + " for " + num(s, years) + " " + plural(years, "year", "years") + ".|For the last " + num(s, years) + " " + plural(years, "year", "years") + " I've been at " + prev + "."));
        s.b(s.p("What would you say is your strength?|What are you good at?|Why should we hire you?"));
        s.a(s.p("I'm good at " + skill + ".|I think my strength is " + skill + ".|Mostly " + skill + "."));
        if (s.chance(0.6)) { s.b(s.p("What salary do you expect?|What are your salary expectations?")); s.a(s.p("Around " + salary + " thousand a year.|About " + salary + ",000 dollars.")); }
        else salary = -1;
        s.b(s.p("When could you start?|How soon can you start?"));
        s.a(s.p("I could start " + start + ".|" + cap(start) + ".|I'm free to start " + start + "."));
        s.b(second ? s.p("Good. We'd like to invite you to a second interview.|Thank you. We'll call you for a second round.") : s.p("Thank you. We'll let you know by email.|Thanks, we'll be in touch."));
        String subj = s.chance(0.3) ? who.split(" ")[0] : "{A}";
        StringBuilder sum = new StringBuilder(subj + " " + s.p("has an interview for|is interviewed for|applies for") + " the " + job + " job. ");
        sum.append(cap(s.p(subj + " has " + years + " " + plural(years, "year", "years") + " of experience at " + prev + "|" + subj + " worked at " + prev + " for " + years + " " + plural(years, "year", "years"))));
        if (salary > 0 && !second) sum.append(", expects ").append(salary).append(",000 a year");
        sum.append(" and can start ").append(start).append(".");
        if (second) sum.append(" {B} invites ").append(subj).append(" to a second interview.");
        s.summary = sum.toString();
        s.topic = s.p("job interview|interview");
    }

    static void library(Scene s) {
        int books = s.between(1, 6);
        int weeks = s.between(1, 4);
        int fine = s.pick(new Integer[]{10, 20, 25, 50});
        boolean card = s.chance(0.4);
        boolean reserve = s.chance(0.35);
        String subject = s.pick(new String[]{"Italian cooking", "the history of Rome", "gardening", "chess", "learning Japanese", "birds", "astronomy"});
        if (s.chance(0.4)) s.b(s.p("Hello, can I help you?|Good afternoon. Checking out today?|Hi, next please."));
        if (card) {
            s.a(s.p("Hi, I'd like to get a library card.|Hello, can I sign up for a library card?|I'm new here. How do I get a card?"));
            s.b(s.p("Sure, I just need some ID and your address.|Of course. Do you have an ID with you?"));
            s.a(s.p("Here's my driver's license.|Yes, here you are."));
            s.b(s.p("All done. Here's your card.|There you go, your card is ready."));
        } else s.a(s.p("Hi, I'd like to check out these books.|Can I borrow these, please?|I want to borrow these books."));
        s.a(s.p("I have " + num(s, books) + " " + plural(books, "book", "books") + " here. How long can I keep them?|How long can I borrow these " + num(s, books) + " " + plural(books, "book", "books") + " for?"));
        s.b(s.p("You can keep them for " + num(s, weeks) + " " + plural(weeks, "week", "weeks") + ".|The loan period is " + num(s, weeks) + " " + plural(weeks, "week", "weeks") + "."));
        if (s.chance(0.7)) { s.a(s.p("What if I'm late?|Is there a fine for late returns?|And if I return them late?")); s.b(s.p("It's " + fine + " cents a day per book.|The fine is " + fine + " cents per day.")); }
        else fine = -1;
        if (reserve) {
            s.a(s.p("Also, do you have anything on " + subject + "?|I'm also looking for a book about " + subject + "."));
            s.b(s.p("It's checked out right now, but I can reserve it for you.|Someone has it at the moment. Shall I put a hold on it?"));
            s.a(s.p("Yes, please reserve it.|Please do."));
        }
        if (s.chance(0.4)) { s.a(s.p("Can I use the computers here too?|Is there Wi-Fi in the library?")); s.b(s.p("Yes, with your card, for up to two hours a day.|Yes, the password is at the front desk.")); }
        if (s.chance(0.5)) s.b(s.p("You can also renew them online.|Remember you can renew online."));
        StringBuilder sum = new StringBuilder(card ? "{A} gets a library card and borrows " : "{A} borrows ");
        sum.append(books).append(" ").append(plural(books, "book", "books")).append(" for ").append(weeks).append(" ").append(plural(weeks, "week", "weeks"));
        if (fine > 0) sum.append(s.p("; the late fine is " + fine + " cents a day| with a late fee of " + fine + " cents a day"));
        sum.append(".");
        if (reserve) sum.append(s.p(" {B} reserves a book about " + subject + " for {A}.| {A} also reserves a book on " + subject + "."));
        s.summary = sum.toString();
        s.topic = s.p("library|borrow books");
    }

    static void hotel(Scene s) {
        String who = name(s);
        int nights = s.between(1, 7);
        String room = s.pick(new String[]{"single", "double", "twin", "family"});
        int floor = s.between(2, 12);
        int roomNo = floor * 100 + s.between(1, 30);
        Time bfFrom = new Time(s.between(6, 7), s.pick(new Integer[]{0, 30})), bfTo = bfFrom.plus(s.pick(new Integer[]{180, 210, 240}));
        boolean upgrade = s.chance(0.25);
        boolean late = s.chance(0.3);
        Time checkout = new Time(s.pick(new Integer[]{10, 11, 12}), 0);
        if (s.chance(0.5)) s.b(s.p("Good evening, welcome to the Grand Hotel.|Hello, welcome. Checking in?|Hi, welcome to the Riverside Inn."));
        s.a(s.p("Hi, I have a reservation under " + who + ".|Hello, I'm checking in. The name is " + who + ".|Good evening. " + who + ", I booked a room."));
        s.b(s.p("Yes, a " + room + " room for " + num(s, nights) + " " + plural(nights, "night", "nights") + ".|I see it, " + num(s, nights) + " " + plural(nights, "night", "nights") + " in a " + room + " room."));
        if (s.chance(0.5)) { s.b(s.p("May I see your passport, please?|Can I have your ID and a credit card?")); s.a(s.p("Here you are.|Sure, here.|Of course.")); }
        if (upgrade) { s.b(s.p("We've upgraded you to a suite at no extra cost.|Good news, you've got a free upgrade to a suite.")); s.a(s.p("Oh, wonderful!|That's great, thanks!")); }
        s.b(s.p("Your room is " + roomNo + " on the " + ordinal(floor) + " floor.|Here's your key, room " + roomNo + ", " + ordinal(floor) + " floor."));
        s.a(s.p("When is breakfast?|What time is breakfast served?|Is breakfast included?"));
        s.b(s.p("Breakfast is from " + bfFrom.text() + " to " + bfTo.text() + ".|It's served from " + bfFrom.spoken(s) + " until " + bfTo.text() + "."));
        if (late) {
            s.a(s.p("Could I check out late on the last day?|Is a late checkout possible?"));
            s.b(s.p("Yes, you can stay until " + checkout.plus(120).text() + ".|Sure, checkout can be at " + checkout.plus(120).text() + " instead of " + checkout.text() + "."));
        } else if (s.chance(0.5)) { s.a("And checkout?"); s.b("Checkout is at " + checkout.text() + "."); }
        String subj = s.chance(0.35) ? who : "{A}";
        StringBuilder sum = new StringBuilder(subj + s.p(" checks in for | arrives at the hotel for ") + nights + " " + plural(nights, "night", "nights"));
        sum.append(upgrade ? " and gets a free upgrade to a suite" : " in a " + room + " room").append(", room ").append(roomNo).append(".");
        sum.append(s.p(" Breakfast is from " + bfFrom.text() + " to " + bfTo.text() + ".| {B} says breakfast is served " + bfFrom.text() + " to " + bfTo.text() + "."));
        if (late) sum.append(" Late checkout at ").append(checkout.plus(120).text()).append(" is allowed.");
        s.summary = sum.toString();
        s.topic = s.p("hotel check-in|check in|hotel");
    }

    static String ordinal(int n) {
        return n + (n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) { case 1 -> "st"; case 2 -> "nd"; case 3 -> "rd"; default -> "th"; });
    }

    static void weekendPlans(Scene s) {
        String[][] acts = {{"see a movie", "the cinema"}, {"go hiking", "the park entrance"}, {"go to a concert", "the concert hall"},
            {"have dinner", "the Thai place"}, {"play tennis", "the sports club"}, {"visit the museum", "the museum"}, {"go swimming", "the pool"}};
        String[] act = s.pick(acts);
        String friend = s.pick(FIRST);
        String day = s.pick(new String[]{"Saturday", "Sunday", "Friday night", "Saturday afternoon", "Sunday morning"});
        String day2 = s.pick(new String[]{"Saturday", "Sunday", "next weekend", "Monday evening"});
        boolean busy = s.chance(0.4);
        if (day2.equals(day)) day2 = "next weekend";
        String span = busy ? day2 : day;
        Time t = span.contains("night") || span.contains("evening") ? time(s, 18, 20) : span.contains("morning") ? time(s, 8, 11)
            : span.contains("afternoon") ? time(s, 13, 16) : time(s, 10, 19);
        String reason = s.p("has to work|is visiting family|has a dentist appointment|is helping a friend move");
        if (s.chance(0.5)) {
            s.a(s.p("Hi " + friend + ", how was your week?|Hey " + friend + ", how are things?|" + friend + "! Long time no see."));
            s.b(s.p("Pretty busy, but good. What's up?|Not bad at all. And you?|Good, thanks. I finally finished my big project."));
        }
        s.a(s.p("Hey " + friend + ", do you want to " + act[0] + " " + day + "?|" + friend + ", are you free " + day + "? Let's " + act[0] + ".|Hi " + friend + "! How about we " + act[0] + " " + day + "?"));
        String final_ = day;
        if (busy) {
            s.b(s.p("I can't " + day + ", I " + reason.replace("has", "have").replace("is ", "am ") + ". What about " + day2 + "?|Sorry, " + day + " is bad for me. Could we do " + day2 + "?"));
            s.a(s.p(cap(day2) + " works too.|Sure, " + day2 + " is fine.|OK, " + day2 + " then."));
            final_ = day2;
        } else s.b(s.p("Sounds great! I'm free.|I'd love to.|Sure, why not?"));
        s.b(s.p("What time?|When should we meet?|Where shall we meet?"));
        s.a(s.p("Let's meet at " + act[1] + " at " + t.spoken(s) + ".|How about " + t.spoken(s) + " at " + act[1] + "?|At " + t.spoken(s) + ", in front of " + act[1] + "."));
        if (s.chance(0.5)) { s.b(s.p("Should I bring anything?|Do I need anything?")); s.a(s.p("Just bring some money.|No, just come.|Maybe a water bottle.")); }
        s.b(s.p("Perfect, see you then.|OK, see you there!|Great, can't wait."));
        s.summary = busy
            ? s.p("{A} invites " + friend + " to " + act[0] + " " + day + ", but {B} " + reason + ", so they'll go " + day2 + " at " + t.text() + ".|"
                + "{B} can't " + act[0] + " " + day + " because {B} " + reason + ". They meet at " + act[1] + " " + day2 + " at " + t.text() + " instead.")
            : s.p("{A} and " + friend + " will " + act[0] + " " + final_ + ", meeting at " + act[1] + " at " + t.text() + ".|"
                + "{A} invites {B} to " + act[0] + " " + final_ + "; they'll meet at " + act[1] + " at " + t.text() + ".");
        s.topic = s.p("make plans|weekend plans|invitation");
    }
}
